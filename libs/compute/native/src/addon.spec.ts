import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTALL_HINT, loadAddon, nativeAddon } from './addon';
import { resolveThreads } from './status';

describe('loading the addon', () => {
  it('a missing addon is a reason with the install hint, never a throw', () => {
    const s = loadAddon(join(tmpdir(), 'no-such-dir', 'tgs_onednn.node'));
    expect(s.addon).toBeUndefined();
    expect(s.reason).toContain(INSTALL_HINT);
  });

  it('a file that is not an addon is reported as failing to load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tgs-native-'));
    const bogus = join(dir, 'tgs_onednn.node');
    writeFileSync(bogus, 'not an ELF file');
    try {
      expect(loadAddon(bogus).reason).toMatch(/^the addon failed to load: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TGS_NATIVE=off disables it', () => {
    expect(nativeAddon({ TGS_NATIVE: 'off' })).toEqual({ reason: 'disabled by TGS_NATIVE=off' });
  });

  it('threads: explicit, then TGS_THREADS, then every core', () => {
    expect(resolveThreads(3, {})).toBe(3);
    expect(resolveThreads('auto', { TGS_THREADS: '2' })).toBe(2);
    expect(resolveThreads(undefined, {})).toBeGreaterThanOrEqual(1);
  });
});

describe('the install-time build', () => {
  /** Runs a copy of scripts/build.cjs in a scratch library folder, so the real build is untouched. */
  function runBuild(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string; status_json: { built: boolean; reason?: string } } {
    const root = mkdtempSync(join(tmpdir(), 'tgs-native-build-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(__dirname, '..', 'scripts', 'build.cjs'), join(root, 'scripts', 'build.cjs'));
    try {
      const res = spawnSync(process.execPath, [join(root, 'scripts', 'build.cjs'), ...args], { encoding: 'utf8', env });
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

  it('npm run build:native (--required) fails instead', () => {
    const r = runBuild(['--required'], { PATH: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: native kernels not built: no C\+\+ compiler found/);
  });
});
