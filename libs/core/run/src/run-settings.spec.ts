import { spawnSync } from 'node:child_process';
import { UserError } from '@segkit/io';
import { fromEnv, readRunSetting, RUN_ENV, RUN_SETTINGS, RunSettings, shellAssignments, shellQuote, toEnv, withRunSettings } from './run-settings';

/** One value of every setting, so a setting added to the table without a case here fails the round trip below. */
const EVERY: Required<RunSettings> = {
  config: '/ws/configs/my exp.json',
  data: '/data/tgs',
  work: 'runs/work/my-exp',
  backend: 'wasm+native',
  set: ['stage1.epochs=5', 'model.name="x y"'],
  threads: 3,
  gpus: [0, 2, 3],
  cores: 6,
};

describe('run settings in the environment', () => {
  it('covers every setting of the table in the round-trip value', () => {
    expect(Object.keys(EVERY).sort()).toEqual(Object.keys(RUN_SETTINGS).sort());
  });

  it('round-trips through the environment: fromEnv(toEnv(s)) = s', () => {
    expect(fromEnv(toEnv(EVERY))).toEqual(EVERY);
    expect(fromEnv(toEnv({}))).toEqual({});
    expect(fromEnv(toEnv({ work: 'runs/w', threads: 1 }))).toEqual({ work: 'runs/w', threads: 1 });
  });

  it('spells each variable by hand-written name', () => {
    expect(toEnv(EVERY)).toEqual({
      SEGKIT_CONFIG: '/ws/configs/my exp.json',
      SEGKIT_DATA: '/data/tgs',
      SEGKIT_WORK: 'runs/work/my-exp',
      SEGKIT_BACKEND: 'wasm+native',
      SEGKIT_SET: 'stage1.epochs=5;model.name="x y"',
      SEGKIT_THREADS: '3',
      SEGKIT_GPUS: '0,2,3',
      SEGKIT_CORES: '6',
    });
    expect(RUN_ENV.threads).toBe('SEGKIT_THREADS');
  });

  it('reads blank variables as unset, and trims and splits the overrides', () => {
    expect(fromEnv({ SEGKIT_BACKEND: ' ', SEGKIT_THREADS: '', SEGKIT_SET: ' a=1 ; ;b=2', PATH: '/bin' })).toEqual({ set: ['a=1', 'b=2'] });
    expect(readRunSetting({ SEGKIT_THREADS: '4' }, 'threads')).toBe(4);
    expect(readRunSetting({}, 'config')).toBeUndefined();
  });

  it.each([
    [{ SEGKIT_THREADS: '0' }, 'SEGKIT_THREADS must be a positive integer, got "0"'],
    [{ SEGKIT_THREADS: '2.5' }, 'SEGKIT_THREADS must be a positive integer, got "2.5"'],
    [{ SEGKIT_BACKEND: 'gpu' }, 'SEGKIT_BACKEND: unknown backend "gpu"; expected one of auto, tensorflow-gpu, tensorflow, wasm+native, wasm, cpu'],
    [{ SEGKIT_GPUS: 'gpu0' }, 'SEGKIT_GPUS must be all, none or a list of GPU indices such as 0,2,3; got "gpu0"'],
    [{ SEGKIT_GPUS: '1,1' }, 'SEGKIT_GPUS names a GPU twice: "1,1"'],
    [{ SEGKIT_SET: 'stage1.epochs:2' }, 'SEGKIT_SET: "stage1.epochs:2": expected <key.path>=<value> (overrides separated by ";"), e.g. SEGKIT_SET="stage1.epochs=5"'],
    [{ SEGKIT_SET: 'a=1; stage1..lr=2' }, 'SEGKIT_SET: "stage1..lr=2": expected <key.path>=<value>'],
  ])('rejects a bad variable with a user error naming it: %j', (env, message) => {
    expect(() => fromEnv(env)).toThrow(UserError);
    expect(() => fromEnv(env)).toThrow(message);
  });

  it('refuses an override that the ";" separator would split', () => {
    expect(() => toEnv({ set: ['a=1;b=2'] })).toThrow(/cannot contain ";"/);
  });

  it('replaces the run variables of a base environment and keeps the others', () => {
    const env = withRunSettings({ PATH: '/bin', SEGKIT_DATA: '/old', SEGKIT_BACKEND: 'cpu', SEGKIT_NATIVE: 'off' }, { work: 'runs/w', set: [] });
    expect(env).toEqual({ PATH: '/bin', SEGKIT_NATIVE: 'off', SEGKIT_WORK: 'runs/w' });
  });

  it('quotes for bash', () => {
    expect(shellQuote('/a/b-c_d.json')).toBe('/a/b-c_d.json');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    const echoed = spawnSync('bash', ['-c', `printf %s ${shellQuote("a 'b' $HOME \\ \"c\"")}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(`a 'b' $HOME \\ "c"`);
  });

  it('prefixes a shell command with the settings, and bash reads them back', () => {
    const prefix = shellAssignments(EVERY);
    const out = spawnSync('bash', ['-c', `${prefix}env`], { env: { PATH: process.env.PATH }, encoding: 'utf8' }).stdout;
    const env = Object.fromEntries(out.split('\n').filter((l) => l.startsWith("SEGKIT_")).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(fromEnv(env)).toEqual(EVERY);
  });
});
