import * as tf from '@tensorflow/tfjs';
import { UserError } from '@segkit/io';
import { nativeAddon, nativeKernelStatus, resolveThreads } from '@segkit/native';
import { nativeKernelsRegistered } from './kernels/register';
import { BackendChoice, checkForcedBackend, resolveBackendChoice, setupBackend } from './select';

/** The environment of a machine without the oneDNN addon. */
const NO_KERNELS = { SEGKIT_NATIVE: 'off' };

/** A loader error shaped like Node's for a package that is not installed. */
function missing(id: string): Error {
  return Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- select.ts`), { code: 'MODULE_NOT_FOUND' });
}

const noNativePackages = (id: string): unknown => {
  throw missing(id);
};

/** A loader whose tfjs-node "works": it registers a 'tensorflow' backend (a fresh cpu backend). */
function workingNative(loaded: string[]): (id: string) => unknown {
  return (id) => {
    loaded.push(id);
    const Cpu = (tf.findBackend('cpu') as tf.KernelBackend).constructor as new () => tf.KernelBackend;
    tf.registerBackend('tensorflow', () => new Cpu(), 0);
    return {};
  };
}

describe('resolveBackendChoice: flag > SEGKIT_BACKEND > config > auto', () => {
  it.each<[string, BackendChoice | undefined, string | undefined, BackendChoice | undefined, BackendChoice, string]>([
    ['nothing set', undefined, undefined, undefined, 'auto', 'default'],
    ['config only', undefined, undefined, 'cpu', 'cpu', 'config'],
    ['env beats config', undefined, 'wasm', 'cpu', 'wasm', 'env'],
    ['flag beats env and config', 'tensorflow', 'wasm', 'cpu', 'tensorflow', 'flag'],
    ['empty env is unset', undefined, '  ', 'cpu', 'cpu', 'config'],
  ])('%s', (_name, flag, env, config, choice, source) => {
    expect(resolveBackendChoice({ choice: flag, env: env === undefined ? {} : { SEGKIT_BACKEND: env }, config })).toEqual({ choice, source });
  });

  it('an unknown SEGKIT_BACKEND value is a UserError naming the variable', () => {
    expect(() => resolveBackendChoice({ env: { SEGKIT_BACKEND: 'gpu' } })).toThrow(UserError);
    expect(() => resolveBackendChoice({ env: { SEGKIT_BACKEND: 'gpu' } })).toThrow(/SEGKIT_BACKEND: unknown backend "gpu"/);
  });
});

describe('setupBackend', () => {
  const logs: string[] = [];
  const log = (m: string): void => void logs.push(m);
  beforeEach(() => {
    logs.length = 0;
  });
  afterEach(async () => {
    if (tf.findBackendFactory('tensorflow') != null) {
      await tf.setBackend('cpu');
      tf.removeBackend('tensorflow');
    }
  });

  it('auto without native packages or kernels picks wasm and says why the others were skipped', async () => {
    const info = await setupBackend({ env: NO_KERNELS, loader: noNativePackages, log });
    expect(info).toMatchObject({ name: 'wasm', choice: 'auto', candidate: 'wasm', source: 'default', threads: 1 });
    expect(info.skipped).toEqual([
      { candidate: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
      { candidate: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
      { candidate: 'wasm+native', reason: 'native kernels unavailable: disabled by SEGKIT_NATIVE=off' },
    ]);
    expect(info.description).toBe('wasm (native kernels unavailable: disabled by SEGKIT_NATIVE=off)');
    expect(tf.getBackend()).toBe('wasm');
    expect(nativeKernelsRegistered()).toBe(false);
    expect(logs.join('\n')).toMatch(/using wasm \(native kernels unavailable: .*skipped tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed; tensorflow: /);
  });

  (nativeAddon().addon || process.env.CI === 'true' ? it : it.skip)('auto with the oneDNN addon built picks wasm+native with the requested threads', async () => {
    const info = await setupBackend({ env: {}, loader: noNativePackages, log, threads: 2 });
    expect(info).toMatchObject({ name: 'wasm', candidate: 'wasm+native', threads: 2 });
    expect(info.description).toMatch(/^wasm\+native \(oneDNN \d+\.\d+\.\d+, 2 threads\)$/);
    expect(nativeKernelsRegistered()).toBe(true);
    expect(nativeKernelStatus()).toMatchObject({ available: true, threads: 2 });
    const plain = await setupBackend({ choice: 'wasm', env: {}, loader: noNativePackages, log });
    expect(plain).toMatchObject({ candidate: 'wasm', description: 'wasm (XNNPACK + training kernels)' });
    expect(nativeKernelsRegistered()).toBe(false);
  });

  it('a forced wasm+native that cannot load is an error, not a fallback', async () => {
    await expect(setupBackend({ choice: 'wasm+native', env: NO_KERNELS, loader: noNativePackages, log })).rejects.toThrow(
      'backend "wasm+native" (from --backend) cannot be used: native kernels unavailable: disabled by SEGKIT_NATIVE=off',
    );
  });

  it('SEGKIT_THREADS sets the thread count; a bad value is a UserError naming it', () => {
    expect(resolveThreads(undefined, { SEGKIT_THREADS: '3' })).toBe(3);
    expect(resolveThreads(2, { SEGKIT_THREADS: '3' })).toBe(2);
    expect(() => resolveThreads(undefined, { SEGKIT_THREADS: 'two' })).toThrow(/SEGKIT_THREADS must be a positive integer/);
    expect(() => resolveThreads(0, {})).toThrow(UserError);
  });

  it('a native package whose binary throws on load is skipped with the loader error', async () => {
    const loader = (id: string): unknown => {
      if (id === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file');
      throw missing(id);
    };
    const info = await setupBackend({ env: NO_KERNELS, loader, log });
    expect(info.skipped[0]).toEqual({
      candidate: 'tensorflow-gpu',
      reason: '@tensorflow/tfjs-node-gpu failed to load its native binary: libcudart.so.11.0: cannot open shared object file',
    });
    expect(info.candidate).toBe('wasm');
  });

  it('auto takes tfjs-node-gpu first when it loads, and does not load tfjs-node too', async () => {
    const loaded: string[] = [];
    const info = await setupBackend({ env: {}, loader: workingNative(loaded), log });
    expect(info).toMatchObject({ name: 'tensorflow', candidate: 'tensorflow-gpu', skipped: [] });
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu']);
  });

  it('falls to tfjs-node when only it is installed', async () => {
    const loaded: string[] = [];
    const works = workingNative(loaded);
    const loader = (id: string): unknown => (id === '@tensorflow/tfjs-node' ? works(id) : noNativePackages(id));
    const info = await setupBackend({ env: {}, loader, log });
    expect(info).toMatchObject({ name: 'tensorflow', candidate: 'tensorflow' });
    expect(info.skipped.map((s) => s.candidate)).toEqual(['tensorflow-gpu']);
  });

  it('a package that loads but registers no backend is skipped, not trusted', async () => {
    const info = await setupBackend({ env: NO_KERNELS, loader: () => ({}), log });
    expect(info.skipped[0].reason).toMatch(/registered no 'tensorflow' backend/);
    expect(info.candidate).toBe('wasm');
  });

  it('a forced backend that cannot load is a UserError naming where the choice came from', async () => {
    await expect(setupBackend({ choice: 'tensorflow-gpu', env: {}, loader: noNativePackages, log })).rejects.toThrow(
      'backend "tensorflow-gpu" (from --backend) cannot be used: @tensorflow/tfjs-node-gpu is not installed',
    );
    await expect(setupBackend({ env: { SEGKIT_BACKEND: 'tensorflow' }, loader: noNativePackages, log })).rejects.toThrow(/from SEGKIT_BACKEND/);
  });

  it.each<[string, Parameters<typeof setupBackend>[0], string]>([
    ['flag cpu', { choice: 'cpu', env: { SEGKIT_BACKEND: 'wasm' } }, 'cpu'],
    ['env cpu over config wasm', { env: { SEGKIT_BACKEND: 'cpu' }, config: 'wasm' }, 'cpu'],
    ['config wasm', { env: {}, config: 'wasm' }, 'wasm'],
  ])('forced: %s', async (_name, opts, name) => {
    const info = await setupBackend({ ...opts, loader: noNativePackages, log });
    expect(info.name).toBe(name);
    expect(tf.getBackend()).toBe(name);
    expect(info.skipped).toEqual([]);
  });

  it('with the default loader, repeated calls reuse the first result', async () => {
    const a = await setupBackend({ choice: 'wasm', log });
    const b = await setupBackend({ choice: 'wasm', log });
    expect(b).toBe(a);
    expect(logs).toHaveLength(1);
  });
});

describe('checkForcedBackend', () => {
  it('refuses a forced wasm+native without its addon, naming the setting it came from', () => {
    expect(() => checkForcedBackend('wasm+native', '--backend', { SEGKIT_NATIVE: 'off' })).toThrow(UserError);
    expect(() => checkForcedBackend('wasm+native', '--backend', { SEGKIT_NATIVE: 'off' })).toThrow(
      'backend "wasm+native" (from --backend) cannot be used: native kernels unavailable: disabled by SEGKIT_NATIVE=off',
    );
  });

  it('accepts backends that need nothing extra', () => {
    for (const choice of ['auto', 'wasm', 'cpu'] as const) expect(() => checkForcedBackend(choice, '--backend', { SEGKIT_NATIVE: 'off' })).not.toThrow();
  });
});
