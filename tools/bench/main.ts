/**
 * `npm run bench`: runs every `*.bench.ts` beside this file in its own process (each sets up its
 * own tfjs backend) and prints their tables. `npm run bench -- rle data` runs only those sections.
 * Sections that run whole pipelines (`quality`, `pipeline`) run only when named; `key.path=value` arguments
 * are handed to the sections.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { adoptLegacyEnv } from '@segkit/io';

adoptLegacyEnv();

/** Sections too long for a plain `npm run bench`. */
const ON_REQUEST = ['quality', 'pipeline'];
const args = process.argv.slice(2);
const only = args.filter((a) => !a.includes('='));
const passed = args.filter((a) => a.includes('='));
const sections = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((name) => (only.length === 0 ? !ON_REQUEST.includes(name) : only.includes(name)))
  .sort();

let failed = 0;
for (const name of sections) {
  process.stdout.write(`\n## ${name}\n\n`);
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, `${name}.bench.ts`), ...passed], {
    stdio: 'inherit',
    env: process.env,
  });
  if (res.status !== 0) {
    failed++;
    process.stdout.write(`(section ${name} failed with exit code ${res.status})\n`);
  }
  process.stdout.write(`\n(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
process.exit(failed > 0 ? 1 : 0);
