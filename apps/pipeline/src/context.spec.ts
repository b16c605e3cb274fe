import { join } from 'node:path';
import { defaultWorkDir, RunSettings } from '@tgs/run';
import { experimentWorkDir, resolveContext, WORKSPACE_ROOT } from './context';

describe('work directories', () => {
  const settings = require(join(WORKSPACE_ROOT, 'tools', 'nx', 'run-settings.cjs')) as { workRel: (s: RunSettings) => string };

  it.each([
    ['smoke', 'runs/work/smoke'],
    ['cpu', 'runs/work/cpu'],
    ['/somewhere/experiments/lovasz-long.json', 'runs/work/lovasz-long'],
  ])('each experiment (%s) has its own default work directory, the same for the steps and the Nx plugin', (config, rel) => {
    expect(settings.workRel({ config })).toBe(rel);
    const configPath = config.endsWith('.json') ? config : join(WORKSPACE_ROOT, 'configs', `${config}.json`);
    expect(defaultWorkDir(configPath)).toBe(rel);
  });

  it('TGS_WORK, set by the pipeline for its steps, wins over the default; --work over both', () => {
    expect(resolveContext({ config: 'smoke' }, { TGS_WORK: 'tmp/elsewhere' }).workDir).toBe(join(WORKSPACE_ROOT, 'tmp', 'elsewhere'));
    expect(resolveContext({ config: 'smoke' }, {}).workDir).toBe(join(WORKSPACE_ROOT, 'runs', 'work', 'smoke'));
    expect(resolveContext({ config: 'smoke', work: '/abs/work' }, { TGS_WORK: 'tmp/elsewhere' }).workDir).toBe('/abs/work');
  });

  it('a blend member works in the directory its own experiment defaults to', () => {
    expect(experimentWorkDir('smoke')).toBe(resolveContext({ config: 'smoke' }, {}).workDir);
  });

  it("no data folder means the built-in synthetic competition of the config's setting", () => {
    // configs/smoke.json: 48 train and 24 test images of 101 px, the schema's seed 2018
    expect(resolveContext({ config: 'smoke' }, {})).toMatchObject({ synthetic: true, dataDir: join(WORKSPACE_ROOT, 'data', 'tgs-synthetic', '48-train-24-test-101px-seed-2018') });
    expect(resolveContext({ config: 'smoke', set: ['synthetic.seed=3'] }, {}).dataDir).toBe(join(WORKSPACE_ROOT, 'data', 'tgs-synthetic', '48-train-24-test-101px-seed-3'));
    expect(resolveContext({ config: 'smoke' }, { TGS_DATA: '/data/tgs' })).toMatchObject({ synthetic: false, dataDir: '/data/tgs' });
  });
});
