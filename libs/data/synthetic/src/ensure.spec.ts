import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { ensureSynthetic, readSyntheticStamp, syntheticStampPath } from './ensure';

describe('ensureSynthetic', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ensure-synthetic-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const opts = () => ({ outDir: join(root, 'data'), truthPath: join(root, 'truth.csv'), nTrain: 3, nTest: 2, size: 8, seed: 5 });

  it('generates once, then finds the folder up to date; other options regenerate', async () => {
    const first = await ensureSynthetic(opts());
    expect(first.generated).toBe(true);
    expect(readSyntheticStamp(opts().outDir)).toEqual({ options: { nTrain: 3, nTest: 2, size: 8, seed: 5 }, summary: first.summary });
    const again = await ensureSynthetic(opts());
    expect(again).toEqual({ summary: first.summary, generated: false });
    expect((await ensureSynthetic({ ...opts(), seed: 6 })).generated).toBe(true);
  });

  it('a damaged stamp is a UserError for its reader, and ensureSynthetic regenerates', async () => {
    await ensureSynthetic(opts());
    const stamp = syntheticStampPath(opts().outDir);
    writeFileSync(stamp, readFileSync(stamp, 'utf8').slice(0, 30));
    expect(() => readSyntheticStamp(opts().outDir)).toThrow(UserError);
    expect(() => readSyntheticStamp(opts().outDir)).toThrow(`${stamp}: not valid JSON`);
    const logged: string[] = [];
    expect((await ensureSynthetic({ ...opts(), log: (m) => logged.push(m) })).generated).toBe(true);
    expect(logged).toEqual([expect.stringContaining(`${stamp}: not valid JSON`)]);
    expect(readSyntheticStamp(opts().outDir)?.options.seed).toBe(5);
  });

  it('a foreign stamp names the field', async () => {
    await ensureSynthetic(opts());
    const stamp = syntheticStampPath(opts().outDir);
    writeFileSync(stamp, JSON.stringify({ options: { nTrain: 3, nTest: 2, size: 8, seed: 'five' }, summary: { nTrain: 3, nTest: 2, emptyFraction: 0, meanCoverage: 0 } }));
    expect(() => readSyntheticStamp(opts().outDir)).toThrow(`${stamp}: options.seed:`);
  });

  it('a missing hidden truth regenerates the folder', async () => {
    await ensureSynthetic(opts());
    rmSync(opts().truthPath);
    expect((await ensureSynthetic(opts())).generated).toBe(true);
    expect(statSync(opts().truthPath).size).toBeGreaterThan(0);
  });
});
