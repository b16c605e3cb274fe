/**
 * Writers on a full file system: one `error:` line naming the folder, exit status 1, nothing
 * half-written. Uses a small tmpfs (needs root and `mount`); skipped, saying why, where it cannot
 * mount — except under CI=true, where the test must run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../../../..');
const root = mkdtempSync(join(tmpdir(), 'full-disk-'));
const mnt = join(root, 'mnt');
mkdirSync(mnt);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
const canMount = mounted.status === 0;
if (!canMount) {
  const why = (mounted.stderr || mounted.error?.message || `exit status ${mounted.status}`).trim();
  if (process.env.CI === 'true') throw new Error(`full-disk tests: cannot mount a tmpfs under CI (${why})`);
  // eslint-disable-next-line no-console
  console.warn(`full-disk tests skipped: cannot mount a small tmpfs here (${why}); they need root`);
}

afterAll(() => {
  if (canMount) spawnSync('umount', [mnt]);
  rmSync(root, { recursive: true, force: true });
});

/** Runs a snippet under runCli in a child (tsx), as a CLI would, with @segkit/io as $IO. */
function cli(body: string): { status: number | null; stderr: string } {
  const file = join(root, `cli-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `import * as io from ${JSON.stringify(join(__dirname, 'index.ts'))};\nio.runCli(async () => {\n${body}\n});\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: WORKSPACE, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

const big = 'new Uint8Array(1024 * 1024).fill(7)';
const describeMounted = canMount ? describe : describe.skip;

describeMounted('writers on a full file system', () => {
  beforeEach(() => {
    for (const f of readdirSync(mnt)) rmSync(join(mnt, f), { recursive: true, force: true });
  });

  it.each([
    ['atomicWriteFile (a submission, a checkpoint)', `io.atomicWriteFile(${JSON.stringify(join(mnt, 'out', 'submission.csv'))}, ${big});`, 'write submission.csv'],
    ['NpyWriter (infer --out x.npy, predictions)', `io.writeNpy(${JSON.stringify(join(mnt, 'out', 'x.npy'))}, new Float32Array(256 * 1024), [256, 1024]);`, 'write x.npy'],
    [
      'atomicCopyFile (the submission copied to --out)',
      `const src = ${JSON.stringify(join(root, 'src.bin'))}; require('node:fs').writeFileSync(src, ${big}); io.atomicCopyFile(src, ${JSON.stringify(join(mnt, 'out', 'submission.csv'))});`,
      'copyfile submission.csv',
    ],
    [
      'atomicWriteDir (a report, a bundle)',
      `await io.atomicWriteDir(${JSON.stringify(join(mnt, 'out', 'report'))}, (tmp) => require('node:fs').writeFileSync(tmp + '/index.html', ${big}));`,
      'write report',
    ],
  ])('%s: one error line naming the folder, exit 1, nothing left behind', (_, body, what) => {
    const r = cli(body);
    expect(r.stderr).toBe(`error: ${join(mnt, 'out')}: no space left on device (${what}); free some space there or choose another folder\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(join(mnt, 'out'))).toEqual([]);
  }, 60_000);
});
