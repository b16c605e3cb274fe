/**
 * tools/run/bundled.cjs: a TypeScript entry point started from one cached esbuild bundle (the
 * pipeline's steps start this way under Nx), with the semantics of starting it through tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WORKSPACE_ROOT } from './context';

const HOOK = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');
const { bundleFiles } = require(HOOK) as { bundleFiles: (entry: string) => { meta: string; prefix: string } };
const dir = join(WORKSPACE_ROOT, 'tmp', `bundled-spec-${process.pid}`);
const entry = join(dir, 'entry.ts');
const lib = join(dir, 'lib', 'where.ts');

const start = (...args: string[]) => spawnSync(process.execPath, ['--require', HOOK, entry, ...args], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
const bundles = () => readdirSync(dirname(bundleFiles(entry).meta)).filter((f) => join(dirname(bundleFiles(entry).meta), f).startsWith(bundleFiles(entry).prefix));

beforeAll(() => {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(lib, "export const where = (): string => __dirname;\nexport function fail(): never {\n  throw new Error('from lib');\n}\n");
  writeFileSync(
    entry,
    [
      "import { where, fail } from './lib/where';",
      'const info = { main: require.main === module, entry: __filename, lib: where(), args: process.argv.slice(2) };',
      "if (process.argv[2] === 'fail') fail();",
      'process.stdout.write(JSON.stringify(info));',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleFiles(entry).meta, { force: true });
  for (const f of bundles()) rmSync(join(dirname(bundleFiles(entry).meta), f), { force: true });
});

describe('a TypeScript entry started from its bundle', () => {
  it('is the main module with its own arguments, and each module keeps its own __dirname and __filename', () => {
    const res = start('a', '--b');
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({ main: true, entry, lib: join(dir, 'lib'), args: ['a', '--b'] });
    expect(existsSync(bundleFiles(entry).meta)).toBe(true);
    expect(bundles()).toHaveLength(1);
  });

  it('is built once and kept while its sources are unchanged, rebuilt when one changes', () => {
    const [bundle] = bundles();
    const built = statSync(join(dirname(bundleFiles(entry).meta), bundle)).mtimeMs;
    expect(JSON.parse(start().stdout).lib).toBe(join(dir, 'lib'));
    expect(bundles()).toEqual([bundle]);
    expect(statSync(join(dirname(bundleFiles(entry).meta), bundle)).mtimeMs).toBe(built);
    writeFileSync(lib, "export const where = (): string => 'changed';\nexport function fail(): never {\n  throw new Error('from lib');\n}\n");
    expect(JSON.parse(start().stdout).lib).toBe('changed');
    // The older bundle is gone.
    expect(bundles()).toHaveLength(1);
    expect(bundles()).not.toEqual([bundle]);
  });

  it('reports errors at their TypeScript source lines', () => {
    const res = start('fail');
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('Error: from lib');
    expect(res.stderr).toContain(`${lib}:3`);
  });

  it('falls back to tsx for an entry that does not bundle, which names the error', () => {
    const broken = join(dir, 'broken.ts');
    writeFileSync(broken, "import { nothing } from './missing';\nconsole.log(nothing);\n");
    const res = spawnSync(process.execPath, ['--require', HOOK, broken], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/Cannot find module '\.\/missing'/);
    expect(existsSync(bundleFiles(broken).meta)).toBe(false);
  });
});
