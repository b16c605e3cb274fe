import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configNameClashes, defaultWorkDir, RunSettings } from '@segkit/run';
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

  it('SEGKIT_WORK, set by the pipeline for its steps, wins over the default; --work over both', () => {
    expect(resolveContext({ config: 'smoke' }, { SEGKIT_WORK: 'tmp/elsewhere' }).workDir).toBe(join(WORKSPACE_ROOT, 'tmp', 'elsewhere'));
    expect(resolveContext({ config: 'smoke' }, {}).workDir).toBe(join(WORKSPACE_ROOT, 'runs', 'work', 'smoke'));
    expect(resolveContext({ config: 'smoke', work: '/abs/work' }, { SEGKIT_WORK: 'tmp/elsewhere' }).workDir).toBe('/abs/work');
  });

  it('a blend member works in the directory its own experiment defaults to', () => {
    expect(experimentWorkDir('smoke')).toBe(resolveContext({ config: 'smoke' }, {}).workDir);
  });

  it("no data folder means the built-in synthetic competition of the config's setting", () => {
    // configs/smoke.json: 48 train and 24 test images of 101 px, the schema's seed 2018
    expect(resolveContext({ config: 'smoke' }, {})).toMatchObject({ synthetic: true, dataDir: join(WORKSPACE_ROOT, 'data', 'segkit-synthetic', '48-train-24-test-101px-seed-2018') });
    expect(resolveContext({ config: 'smoke', set: ['synthetic.seed=3'] }, {}).dataDir).toBe(join(WORKSPACE_ROOT, 'data', 'segkit-synthetic', '48-train-24-test-101px-seed-3'));
    expect(resolveContext({ config: 'smoke' }, { SEGKIT_DATA: '/data/tgs' })).toMatchObject({ synthetic: false, dataDir: '/data/tgs' });
  });

  it('--data <layout>-synthetic is the built-in competition in that layout, passed on to the steps as the override synthetic.layout', () => {
    const ctx = resolveContext({ config: 'smoke', data: 'airbus-synthetic' }, {});
    expect(ctx).toMatchObject({ synthetic: true, dataDir: join(WORKSPACE_ROOT, 'data', 'segkit-synthetic', 'airbus-48-train-24-test-101px-seed-2018') });
    expect(ctx.config.synthetic.layout).toBe('airbus');
    expect(ctx.settings).toMatchObject({ data: undefined, set: ['synthetic.layout=airbus'] });
    // A step started with those settings reads the same competition.
    const step = resolveContext({ config: 'smoke' }, { SEGKIT_SET: 'synthetic.layout=airbus' });
    expect(step.dataDir).toBe(ctx.dataDir);
    expect(resolveContext({ config: 'smoke' }, { SEGKIT_DATA: 'carvana-synthetic' }).config.synthetic.layout).toBe('carvana');
    expect(() => resolveContext({ config: 'smoke', data: 'kvasir-synthetic' }, {})).toThrow(
      '--data kvasir-synthetic: no folder of that name, and "kvasir" is not a built-in layout for its synthetic competition (tgs-synthetic, airbus-synthetic, carvana-synthetic, siim-synthetic, folders-synthetic)',
    );
  });
});

describe('a config named like a library', () => {
  it('is refused before any work, naming the file to rename and the library', () => {
    const file = join(WORKSPACE_ROOT, 'experiments', 'rle.json');
    mkdirSync(join(WORKSPACE_ROOT, 'experiments'), { recursive: true });
    writeFileSync(file, '{ "extends": "smoke" }\n');
    try {
      expect(configNameClashes()).toEqual([{ file, name: 'rle', project: 'libs/data/rle' }]);
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'run.ts'), '--config', 'smoke'], { cwd: WORKSPACE_ROOT, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
      expect(r.stderr).toBe('error: rename experiments/rle.json: "rle" is the project name of libs/data/rle (every config is an Nx project named after its file)\n');
      expect(r.status).toBe(1);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});

describe('a forced backend that cannot load', () => {
  it('is refused before any work as the flag it came from', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'run.ts'), '--config', 'smoke', '--backend', 'wasm+native'], {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', SEGKIT_NATIVE: 'off' },
    });
    expect(r.stderr).toBe('error: backend "wasm+native" (from --backend) cannot be used: native kernels unavailable: disabled by SEGKIT_NATIVE=off\n');
    expect(r.status).toBe(1);
  }, 60_000);
});
