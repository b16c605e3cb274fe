import { projectSteps, STEPS, TRAIN_STAGE_CONFIG } from '@segkit/run';
import { canonicalJson, configSlice, configSliceHash } from './slice';
import { parseConfig } from './load';

describe('config slices', () => {
  it('canonical JSON sorts keys at every level and drops undefined members (by hand)', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: undefined } })).toBe('{"a":{"d":[2,{"y":null,"z":1}]},"b":1}');
  });

  it('a default written out explicitly, or keys in another order, give the same hash', () => {
    const implicit = parseConfig({ tune: { minAreas: [0, 5] } });
    const explicit = parseConfig({ tune: { refineSteps: 21, minAreas: [0, 5], probFrom: 0.3 }, ensemble: { mode: 'logit-mean' } });
    expect(configSliceHash(explicit, ['tune', 'ensemble'])).toBe(configSliceHash(implicit, ['ensemble', 'tune']));
  });

  it.each([
    [{ tune: { minAreas: [0] } }, ['tune'], true],
    [{ tune: { minAreas: [0] } }, ['train', 'stage1', 'stage2', 'model'], false],
    [{ name: 'other' }, ['predict', 'tune', 'ensemble', 'model'], false],
    [{ name: 'other' }, '*', true],
    [{ stage2: { epochs: 3, lr: 1e-4, loss: [{ kind: 'lovasz' }] } }, ['stage1'], false],
    [{ stage2: { epochs: 3, lr: 1e-4, loss: [{ kind: 'lovasz' }] } }, ['stage2'], true],
    [{ tune: { metric: 'dice' } }, ['tune.metric'], true],
    [{ tune: { minAreas: [0] } }, ['tune.metric'], false],
  ] as const)('changing %j changes the slice %j: %s', (change, sections, changes) => {
    const base = configSliceHash(parseConfig({}), sections);
    expect(configSliceHash(parseConfig(change), sections) !== base).toBe(changes);
  });

  it('keeps only the named sections, and refuses an unknown one', () => {
    expect(Object.keys(configSlice(parseConfig({}), ['tune', 'folds']))).toEqual(['folds', 'tune']);
    expect(() => configSlice(parseConfig({}), ['tunes'])).toThrow('config has no section "tunes"');
    expect(configSlice(parseConfig({ tune: { metric: 'dice' } }), ['tune.metric', 'seed'])).toEqual({ seed: 42, 'tune.metric': 'dice' });
    expect(() => configSlice(parseConfig({}), ['tunes.metric'])).toThrow('config has no section "tunes"');
  });

  it("every experiment step of the step table reads sections the config has; train reads both stages", () => {
    const config = parseConfig({});
    const steps = projectSteps('experiment');
    for (const step of steps) expect(() => configSlice(config, STEPS[step].config)).not.toThrow();
    // … and the metric that picks each stage's best epoch: tune.metric, else the data layout's.
    expect([...STEPS.train.config].sort()).toEqual([...TRAIN_STAGE_CONFIG[1], ...TRAIN_STAGE_CONFIG[2], 'data', 'tune.metric'].sort());
    // The name changes only the steps that record the whole config.
    const renamed = parseConfig({ name: 'renamed' });
    expect(steps.filter((s) => configSliceHash(renamed, STEPS[s].config) !== configSliceHash(config, STEPS[s].config))).toEqual(['bundle', 'report']);
  });
});
