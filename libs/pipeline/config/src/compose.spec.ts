import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyOverrides, deepMerge, overridesFromEnv, readConfigTree } from './compose';
import { isBlendConfigFile, loadBlendConfig, loadConfig } from './load';

describe('deepMerge', () => {
  it('merges objects key by key; arrays and scalars replace (by hand)', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { c: [3] }, e: null })).toEqual({ a: { b: 1, c: [3] }, d: 'x', e: null });
  });
});

describe('readConfigTree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-tree-'));
  const write = (name: string, value: unknown) => {
    writeFileSync(join(dir, name), JSON.stringify(value));
    return join(dir, name);
  };
  const base = write('base.json', { name: 'base', folds: { k: 3, seed: 1 }, tune: { minAreas: [0, 10] } });
  const presets = (name: string) => (name === 'cpu' ? base : undefined);

  it('a preset name as base, overrides on top, named after the extending file', () => {
    const exp = write('my-exp.json', { extends: 'cpu', folds: { k: 5 }, tune: { minAreas: [0] } });
    expect(readConfigTree(exp, presets)).toEqual({ name: 'my-exp', folds: { k: 5, seed: 1 }, tune: { minAreas: [0] } });
  });

  it('a relative path as base, chains of two, own name kept', () => {
    write('mid.json', { extends: 'base.json', seed: 9 });
    const top = write('top.json', { extends: './mid.json', name: 'top-run', folds: { seed: 2 } });
    expect(readConfigTree(top, presets)).toEqual({ name: 'top-run', seed: 9, folds: { k: 3, seed: 2 }, tune: { minAreas: [0, 10] } });
  });

  it.each([
    ['an unknown base', { extends: 'nope' }, '"extends": "nope" is neither a preset nor a path'],
    ['a non-string base', { extends: 3 }, '"extends" must be a preset name or a path'],
  ])('%s is an error naming the file', (_what, value, message) => {
    const p = write('bad.json', value);
    expect(() => readConfigTree(p, presets)).toThrow(`${p}: ${message}`);
  });

  it('a cycle is an error naming the chain', () => {
    const a = write('a.json', { extends: 'b.json' });
    write('b.json', { extends: 'a.json' });
    expect(() => readConfigTree(a, presets)).toThrow(/"extends" cycle .*a\.json → .*b\.json → .*a\.json/);
  });
});

describe('applyOverrides', () => {
  it.each([
    ['stage1.epochs=5', { stage1: { epochs: 5, lr: 0.1 } }],
    ['stage1.lr=1e-3', { stage1: { epochs: 1, lr: 0.001 } }],
    ['name=exp 2', { stage1: { epochs: 1, lr: 0.1 }, name: 'exp 2' }],
    ['tune.minAreas=[0, 20]', { stage1: { epochs: 1, lr: 0.1 }, tune: { minAreas: [0, 20] } }],
    ['predict.hflipTta=false', { stage1: { epochs: 1, lr: 0.1 }, predict: { hflipTta: false } }],
  ])('%s', (set, expected) => {
    expect(applyOverrides({ stage1: { epochs: 1, lr: 0.1 } }, [set])).toEqual(expected);
  });

  it.each([
    ['stage1.epochs', 'expected <key.path>=<value>'],
    ['=3', 'expected <key.path>=<value>'],
    ['stage1..lr=3', 'expected <key.path>=<value>'],
    ['stage1.epochs.x=3', 'stage1.epochs is not an object'],
  ])('rejects %s', (set, message) => {
    expect(() => applyOverrides({ stage1: { epochs: 1 } }, [set])).toThrow(message);
  });

  it('reads SEGKIT_SET, separated by ";"', () => {
    expect(overridesFromEnv({ SEGKIT_SET: 'stage1.epochs=5; model.depth=3;' })).toEqual(['stage1.epochs=5', 'model.depth=3']);
    expect(overridesFromEnv({})).toEqual([]);
  });
});

describe('loadConfig with extends and overrides', () => {
  const root = resolve(__dirname, '../../../..');
  it('an experiment extending the smoke preset, then --set; validation names the override', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-exp-'));
    const exp = join(dir, 'wide.json');
    writeFileSync(exp, JSON.stringify({ extends: 'smoke', model: { baseFilters: 8 } }));
    const smoke = loadConfig(join(root, 'configs', 'smoke.json'));
    const cfg = loadConfig(exp, { sets: ['stage1.epochs=2'] });
    expect(cfg.name).toBe('wide');
    expect(cfg.model).toEqual({ ...smoke.model, baseFilters: 8 });
    expect(cfg.stage1).toEqual({ ...smoke.stage1, epochs: 2 });
    expect(cfg.folds).toEqual(smoke.folds);
    const blend = join(dir, 'ab.json');
    // configs/cpu.json and configs/quality.json share one fold split: a sound blend, not an experiment.
    writeFileSync(blend, JSON.stringify({ blend: { members: ['cpu', 'quality'] } }));
    expect(() => loadConfig(blend)).toThrow(`${blend}: a blend of experiments, not an experiment; run it with npx nx run ab:report`);
    // A faulty blend is named by its fault first.
    writeFileSync(blend, JSON.stringify({ blend: { members: ['a', 'b'] } }));
    expect(() => loadConfig(blend)).toThrow(`${blend}: blend member "a" is neither a preset in configs/ nor an experiment in experiments/`);
    expect(() => loadConfig(exp, { sets: ['stage1.lr=-1'] })).toThrow(/with --set stage1\.lr=-1: invalid config: stage1\.lr: [^\n]*$/);
  });
});

describe('loadBlendConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-blend-'));
  const write = (value: unknown) => {
    const p = join(dir, 'my-blend.json');
    writeFileSync(p, JSON.stringify(value));
    return p;
  };
  it('fills the name from the file, weights "tune" and the tune defaults', () => {
    const cfg = loadBlendConfig(write({ blend: { members: ['a', 'b'] } }));
    expect(cfg.name).toBe('my-blend');
    expect(cfg.blend.weights).toBe('tune');
    expect(cfg.tune.minAreas).toEqual([0, 10, 20, 40, 80, 120, 160, 200, 300]); // the schema's default
  });
  it('reads a blend saved with a byte order mark as a blend', () => {
    const p = join(dir, 'bom-blend.json');
    writeFileSync(p, '\uFEFF' + JSON.stringify({ blend: { members: ['a', 'b'] } }) + '\r\n');
    expect(isBlendConfigFile(p)).toBe(true);
    expect(loadBlendConfig(p).blend.members).toEqual(['a', 'b']);
    expect(isBlendConfigFile(join(dir, 'missing.json'))).toBe(false);
  });
  it.each([
    [{ blend: { members: ['a'] } }, 'blend.members'],
    [{ blend: { members: ['a', 'a'] } }, 'lists an experiment twice'],
    [{ blend: { members: ['a', 'b'], weights: [1] } }, 'one weight per member (2)'],
    [{ blend: { members: ['a', 'b'], weights: [0, 0] } }, 'not all zero'],
    [{ blend: { members: ['a', 'b'] }, model: {} }, '(root)'],
  ])('rejects %j naming %s', (value, message) => {
    const p = write(value);
    expect(() => loadBlendConfig(p)).toThrow(message);
    expect(() => loadBlendConfig(p)).toThrow(p);
  });
});
