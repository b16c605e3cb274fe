/**
 * Process start-up: what every pipeline step, fingerprint and Nx run pays before any work, with the
 * packages compiled from V8's code cache (tools/run/compile-cache.cjs) against compiling them from
 * source (SEGKIT_COMPILE_CACHE=0, Node's own compile, with their source maps), alternated in one
 * process so both see the same machine. A run of the tiny pipeline has about 11 step processes,
 * 11 fingerprints and one Nx with its plugin workers; the e2e suites start a few hundred of each.
 *
 *   npm run bench -- startup [rounds=8]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nxNodeArgs } from '@segkit/run';
import { median } from './median';

const ROOT = join(__dirname, '..', '..');
const rounds = Number(process.argv.find((a) => a.startsWith('rounds='))?.slice(7) ?? 8);

const COMMANDS: { name: string; args: string[] }[] = [
  // Loads what every step loads (tfjs, its wasm backend, sharp, the step table) and prints the steps.
  { name: 'a step (`main.ts --help`)', args: ['--require', './tools/run/bundled.cjs', 'apps/pipeline/src/main.ts', '--help'] },
  { name: 'a fingerprint (`fingerprint.cjs train`)', args: ['tools/nx/fingerprint.cjs', 'train'] },
  { name: 'Nx computing the project graph (`nx show projects`)', args: [...nxNodeArgs(ROOT), 'show', 'projects'] },
];

function timed(args: string[], cache: boolean): number {
  const started = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SEGKIT_COMPILE_CACHE: cache ? '1' : '0', NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${res.status}): ${res.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

console.log(`| process | from source (ms, median of ${rounds}) | from the code cache (ms) | ratio |`);
console.log('|---|---:|---:|---:|');
for (const { name, args } of COMMANDS) {
  // Once each way first: the cache is written, the files are in the page cache.
  timed(args, true);
  timed(args, false);
  const source: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const cacheFirst = r % 2 === 1;
    (cacheFirst ? cached : source).push(timed(args, cacheFirst));
    (cacheFirst ? source : cached).push(timed(args, !cacheFirst));
  }
  const [s, c] = [median(source), median(cached)];
  console.log(`| ${name} | ${s.toFixed(0)} | ${c.toFixed(0)} | ${(s / c).toFixed(2)}× |`);
}
console.log('\nWall time of one process on an otherwise quiet machine, start to exit.');
