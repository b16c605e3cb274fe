/**
 * tools/run/compile-cache.cjs: packages compiled from V8's code cache behave as Node's own compile
 * makes them behave, the cache is used when it was made from the same source and rebuilt when not.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './context';

const HOOK = join(WORKSPACE_ROOT, 'tools', 'run', 'compile-cache.cjs');
let dir: string;
let cache: string;
const pkg = () => join(dir, 'node_modules', 'pkg');

interface Stats {
  cached: number;
  compiled: number;
  rejected: number;
}

/** Runs main.js under the hook; its stdout is JSON: what the package reported and the hook's counts. */
function start(env: NodeJS.ProcessEnv = {}): { out: { result: unknown; stats?: Stats }; stderr: string; status: number | null } {
  const res = spawnSync(process.execPath, ['--require', HOOK, join(dir, 'main.js')], {
    cwd: dir,
    env: { ...process.env, SEGKIT_COMPILE_CACHE_DIR: cache, ...env },
    encoding: 'utf8',
  });
  return { out: res.stdout ? JSON.parse(res.stdout) : { result: undefined }, stderr: res.stderr, status: res.status };
}

const entries = () => readdirSync(cache).filter((f) => !f.includes('.tmp-'));

function writePackage(version: number): void {
  mkdirSync(join(pkg(), 'lib'), { recursive: true });
  writeFileSync(join(pkg(), 'package.json'), JSON.stringify({ name: 'pkg', main: 'index.js' }));
  writeFileSync(
    join(pkg(), 'index.js'),
    [
      '#!/usr/bin/env node',
      "const helper = require('./lib/helper');",
      'module.exports = {',
      `  version: ${version},`,
      '  helper: helper(),',
      '  filename: __filename,',
      '  dirname: __dirname,',
      "  resolved: require.resolve('./lib/helper'),",
      "  paths: Array.isArray(require.resolve.paths('x')),",
      '  main: require.main === process.mainModule,',
      "  cached: require.cache[require.resolve('./lib/helper')] !== undefined,",
      '  thisIsExports: this === module.exports,',
      "  fail: () => { throw new Error('from pkg'); },",
      '};',
    ].join('\n'),
  );
  writeFileSync(join(pkg(), 'lib', 'helper.js'), "module.exports = () => 'helped';\n");
  // A dynamic import needs Node's own loader: this file is compiled by Node, not from the cache.
  writeFileSync(join(pkg(), 'lib', 'dynamic.js'), "module.exports = () => import ('node:path').then((m) => typeof m.join);\n");
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'compile-cache-'));
  cache = join(dir, 'v8');
  writePackage(1);
  writeFileSync(
    join(dir, 'main.js'),
    [
      "const pkg = require('pkg');",
      "const dynamic = require('pkg/lib/dynamic');",
      'const stats = globalThis[Symbol.for("segkit.compileCache")];',
      'let stack;',
      'try { pkg.fail(); } catch (err) { stack = err.stack; }',
      'dynamic().then((joinType) => {',
      '  const { fail, ...result } = pkg;',
      '  process.stdout.write(JSON.stringify({ result: { ...result, joinType, stack }, stats }));',
      '});',
    ].join('\n'),
  );
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('V8 code cache for packages', () => {
  it('gives a package the module semantics of Node’s own compile', () => {
    const off = start({ SEGKIT_COMPILE_CACHE: '0' });
    const on = start();
    expect(on.stderr).toBe('');
    expect(off.out.stats).toBeUndefined();
    const { stack, ...result } = on.out.result as { stack: string };
    expect(result).toEqual({
      version: 1,
      helper: 'helped',
      filename: join(pkg(), 'index.js'),
      dirname: pkg(),
      resolved: join(pkg(), 'lib', 'helper.js'),
      paths: true,
      main: true,
      cached: true,
      thisIsExports: true,
      joinType: 'function',
    });
    expect({ ...(off.out.result as object), stack: undefined }).toEqual({ ...result, stack: undefined });
    // Stack frames name the package's file and line as without the hook.
    expect(stack).toContain(`${join(pkg(), 'index.js')}:13:`);
    expect((off.out.result as { stack: string }).stack).toContain(`${join(pkg(), 'index.js')}:13:`);
  });

  it('compiles from source and writes an entry per file once, then compiles from the cache', () => {
    const first = start();
    // index.js and helper.js; dynamic.js (import()) and main.js (not a package) go through Node.
    expect(first.out.stats).toEqual({ cached: 0, compiled: 2, rejected: 0 });
    expect(entries()).toHaveLength(2);
    const written = entries().map((f) => statSync(join(cache, f)).mtimeMs);
    const second = start();
    expect(second.out.stats).toEqual({ cached: 2, compiled: 0, rejected: 0 });
    expect(second.out.result).toEqual(first.out.result);
    expect(entries().map((f) => statSync(join(cache, f)).mtimeMs)).toEqual(written);
  });

  it('compiles a changed file from its new source and replaces its entry', () => {
    start();
    writePackage(2);
    const changed = start();
    expect((changed.out.result as { version: number }).version).toBe(2);
    // helper.js is unchanged and comes from the cache; index.js changed.
    expect(changed.out.stats).toEqual({ cached: 1, compiled: 1, rejected: 0 });
    expect(entries()).toHaveLength(2);
    expect(start().out.stats).toEqual({ cached: 2, compiled: 0, rejected: 0 });
  });

  it('rebuilds an entry whose data V8 rejects, and ignores a torn one', () => {
    start();
    const [a, b] = entries().map((f) => join(cache, f)) as [string, string];
    const header = readFileSync(a).subarray(0, 41);
    writeFileSync(a, Buffer.concat([header, Buffer.from('not V8 code cache data')]));
    writeFileSync(b, 'torn');
    const res = start();
    expect(res.status).toBe(0);
    expect(res.out.stats).toEqual({ cached: 0, compiled: 1, rejected: 1 });
    expect((res.out.result as { version: number }).version).toBe(1);
    expect(start().out.stats).toEqual({ cached: 2, compiled: 0, rejected: 0 });
  });

  it('runs unchanged when the cache cannot be written', () => {
    writeFileSync(cache, 'a file where the cache folder should be');
    const res = start();
    expect(res.status).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.out.stats).toEqual({ cached: 0, compiled: 2, rejected: 0 });
  });
});
