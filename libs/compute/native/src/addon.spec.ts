import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTALL_HINT, loadAddon, nativeAddon } from './addon';
import { resolveThreads, splitCores, threadSpeedup } from './status';

describe('loading the addon', () => {
  it('a missing addon is a reason with the install hint, never a throw', () => {
    const s = loadAddon(join(tmpdir(), 'no-such-dir', 'segkit_onednn.node'));
    expect(s.addon).toBeUndefined();
    expect(s.reason).toContain(INSTALL_HINT);
  });

  it('a file that is not an addon is reported as failing to load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-native-'));
    const bogus = join(dir, 'segkit_onednn.node');
    writeFileSync(bogus, 'not an ELF file');
    try {
      expect(loadAddon(bogus).reason).toMatch(/^the addon failed to load: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SEGKIT_NATIVE=off disables it', () => {
    expect(nativeAddon({ SEGKIT_NATIVE: 'off' })).toEqual({ reason: 'disabled by SEGKIT_NATIVE=off' });
  });

  it('threads: explicit, then SEGKIT_THREADS, then every core', () => {
    expect(resolveThreads(3, {})).toBe(3);
    expect(resolveThreads('auto', { SEGKIT_THREADS: '2' })).toBe(2);
    expect(resolveThreads(undefined, {})).toBeGreaterThanOrEqual(1);
  });
});

describe('splitting the cores between fold processes and threads', () => {
  it.each([
    ['defaults: one single-threaded process per core', 2, 4, {}, { parallel: 2, threads: 1, capped: false }],
    ['3 folds on 2 cores: 2 rounds of 1-thread folds beat 3 folds at the 2-thread speed-up', 2, 3, {}, { parallel: 2, threads: 1, capped: false }],
    ['5 folds on 2 cores: 3 rounds either way, so 2 single-threaded processes', 2, 5, {}, { parallel: 2, threads: 1, capped: false }],
    ['fewer folds than cores: the spare cores become threads', 8, 3, {}, { parallel: 3, threads: 2, capped: false }],
    ['--threads 2 on 2 cores: one process', 2, 4, { threads: 2 }, { parallel: 1, threads: 2, capped: false }],
    ['--parallel 1: every core for one process', 2, 4, { parallel: 1 }, { parallel: 1, threads: 2, capped: false }],
    ['--parallel 2 --threads 2 on 2 cores: threads capped, never oversubscribed', 2, 4, { parallel: 2, threads: 2 }, { parallel: 2, threads: 1, capped: true }],
    ['config threads auto behaves as unset: 5 folds on 4 cores', 4, 5, { threads: 'auto' as const }, { parallel: 4, threads: 1, capped: false }],
    ['many cores: threads only where their speed-up beats another round', 16, 5, {}, { parallel: 5, threads: 3, capped: false }],
  ])('%s', (_name, cores, folds, opts, expected) => {
    const split = splitCores(cores, folds, opts);
    expect(split).toEqual(expected);
    expect(split.parallel * split.threads).toBeLessThanOrEqual(cores);
  });

  it("Amdahl's law for the thread speed-up", () => {
    expect(threadSpeedup(1)).toBe(1);
    expect(threadSpeedup(2, 0.8)).toBeCloseTo(1 / (0.2 + 0.4), 12);
    expect(threadSpeedup(4, 1)).toBeCloseTo(4, 12);
  });

  it('config compute.threads is used below SEGKIT_THREADS', () => {
    expect(resolveThreads(undefined, {}, 3)).toBe(3);
    expect(resolveThreads(undefined, { SEGKIT_THREADS: '1' }, 3)).toBe(1);
  });
});

describe('the install-time build', () => {
  /** Runs a copy of scripts/build.cjs in a scratch library folder, so the real build is untouched. */
  function runBuild(
    args: string[],
    env: NodeJS.ProcessEnv | ((root: string) => NodeJS.ProcessEnv),
  ): { status: number | null; stdout: string; stderr: string; status_json: { built: boolean; reason?: string } } {
    const root = mkdtempSync(join(tmpdir(), 'segkit-native-build-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(__dirname, '..', 'scripts', 'build.cjs'), join(root, 'scripts', 'build.cjs'));
    try {
      const res = spawnSync(process.execPath, [join(root, 'scripts', 'build.cjs'), ...args], { encoding: 'utf8', env: typeof env === 'function' ? env(root) : env });
      const status_json = JSON.parse(readFileSync(join(root, 'build', 'status.json'), 'utf8'));
      return { status: res.status, stdout: res.stdout, stderr: res.stderr, status_json };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('without a C++ compiler the install succeeds and one line says why', () => {
    const r = runBuild([], { PATH: '/nonexistent' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^native kernels not built: no C\+\+ compiler found/);
    expect(r.status_json).toEqual({ built: false, reason: 'no C++ compiler found (c++, g++ or clang++)' });
  });

  it('a node-gyp that fails after removing the build folder (no Node headers offline) is a reason, not a crash', () => {
    const r = runBuild([], (root) => {
      const headers = join(root, 'onednn', 'include', 'oneapi', 'dnnl');
      mkdirSync(headers, { recursive: true });
      writeFileSync(join(headers, 'dnnl.hpp'), '');
      const gyp = join(root, 'fake-node-gyp.js');
      writeFileSync(
        gyp,
        "require('node:fs').rmSync(require('node:path').join(process.cwd(), 'build'), { recursive: true, force: true });\n" +
          "console.error('gyp ERR! configure error');\nconsole.error('Error: getaddrinfo ENOTFOUND nodejs.org');\nprocess.exit(1);\n",
      );
      return { PATH: process.env.PATH, CXX: 'c++', ONEDNN_ROOT: join(root, 'onednn'), npm_config_node_gyp: gyp };
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.status_json.built).toBe(false);
    expect(r.status_json.reason).toMatch(/^the build failed: Error: getaddrinfo ENOTFOUND nodejs\.org \(full log: .*build\.log\)$/);
  });

  it('npm run build:native (--required) fails instead', () => {
    const r = runBuild(['--required'], { PATH: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: native kernels not built: no C\+\+ compiler found/);
  });
});
