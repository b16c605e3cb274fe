import { LAYOUTS } from '@segkit/layouts';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import { ensemblePaths, writeEnsembleMeta } from '@segkit/ensemble';
import { writeFoldsCsv } from '@segkit/folds';
import { readNpy, writeNpy } from '@segkit/io';
import { blendExperiments, blendPaths } from './blend';

// Four 1×2 train images: 0 and 2 full, 1 and 3 empty. Member a is confident and right on images
// 0–1 and wrong on 2–3; member b the other way round (see weights.spec.ts): alone each scores 0.5,
// blended with both weights inside (1/6, 5/6) every image is right.
const trainIds = ['i0', 'i1', 'i2', 'i3'];
const masks = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0]);
const oof = { a: [5, 5, -5, -5, -1, -1, 1, 1], b: [-1, -1, 1, 1, 5, 5, -5, -5] };
const test = { a: [2, 2, -4, -4], b: [0, 0, -2, 2] };
const tune = parseConfig({ tune: { probSteps: 5, refineSteps: 0, minAreas: [0] } }).tune;

function member(root: string, name: 'a' | 'b', folds: number[]) {
  const workDir = join(root, name);
  const p = ensemblePaths(workDir);
  writeNpy(p.oofStage2, Float32Array.from(oof[name]), [4, 1, 2]);
  writeFileSync(p.oofIds, trainIds.join('\n') + '\n');
  writeNpy(p.test, Float32Array.from(test[name]), [2, 1, 2]);
  writeFileSync(p.testIds, 't0\nt1\n');
  writeEnsembleMeta(workDir, { mode: 'logit-mean', folds: [0, 1], height: 1, width: 2, trainIds, testIds: ['t0', 't1'], fingerprint: (name === 'a' ? 'a' : 'b').repeat(64) });
  const foldsPath = join(workDir, 'folds.csv');
  writeFoldsCsv(foldsPath, new Map(trainIds.map((id, i) => [id, folds[i]])));
  return { name, workDir, foldsPath };
}

describe('blendExperiments', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'blend-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const input = (members: ReturnType<typeof member>[], weights: number[] | 'tune') => ({
    config: { name: 'ab', blend: { members: members.map((m) => m.name), weights }, tune },
    members,
    trainIds,
    masks,
    height: 1,
    width: 2,
    sampleIds: ['t0', 't1'],
    format: LAYOUTS.tgs.submission,
    metric: 'tgs-map' as const,
    workDir: join(root, 'blend-work'),
    log: () => undefined,
  });

  it('tuned weights: the blend beats both members, and the report compares them', async () => {
    const r = await blendExperiments(input([member(root, 'a', [0, 1, 0, 1]), member(root, 'b', [0, 1, 0, 1])], 'tune'));
    expect(r.members.map((m) => [m.name, m.oofScore])).toEqual([
      ['a', 0.5],
      ['b', 0.5],
    ]);
    expect(r.oofScore).toBe(1);
    expect(r.gainOverBestMember).toBe(0.5);
    expect(r.members[0].weight).toBeGreaterThan(1 / 6);
    expect(r.members[0].weight).toBeLessThan(5 / 6);
    const p = blendPaths(join(root, 'blend-work'));
    const w = r.members[0].weight;
    // test image t0 blended by hand: w·(2, 2) + (1−w)·(0, 0)
    expect(Array.from(readNpy(p.test).data.subarray(0, 2))).toEqual([Math.fround(2 * w), Math.fround(2 * w)]);
    expect(readFileSync(p.testIds, 'utf8')).toBe('t0\nt1\n');
    const summary = JSON.parse(readFileSync(join(p.report, 'summary.json'), 'utf8'));
    expect(summary.members.map((m: { name: string; oof_score: number }) => [m.name, m.oof_score])).toEqual([
      ['a', 0.5],
      ['b', 0.5],
    ]);
    expect(summary.oof_score).toBe(1);
    expect(summary.metric).toBe('tgs-map');
    expect(readFileSync(join(p.report, 'index.html'), 'utf8')).toContain('<td>blend</td><td>1.00</td><td>1.0000</td>');
    expect(readFileSync(p.submission, 'utf8').split('\n')[0]).toBe('id,rle_mask');
  });

  it('fixed weights are used as given (normalised)', async () => {
    const r = await blendExperiments(input([member(root, 'a', [0, 1, 0, 1]), member(root, 'b', [0, 1, 0, 1])], [3, 1]));
    expect(r.members.map((m) => m.weight)).toEqual([0.75, 0.25]);
    expect(r.weightsTuned).toBe(false);
  });

  it('members with different fold splits are an error naming them, and nothing is written', async () => {
    const run = blendExperiments(input([member(root, 'a', [0, 1, 0, 1]), member(root, 'b', [1, 0, 0, 1])], 'tune'));
    await expect(run).rejects.toThrow('members a and b use different fold splits (id i0: fold 0 vs 1)');
    expect(existsSync(blendPaths(join(root, 'blend-work')).record)).toBe(false);
  });

  it('a member that has not run is an error naming it', async () => {
    const a = member(root, 'a', [0, 1, 0, 1]);
    const missing = { name: 'c', workDir: join(root, 'c'), foldsPath: join(root, 'c', 'folds.csv') };
    await expect(blendExperiments(input([a, missing as ReturnType<typeof member>], 'tune'))).rejects.toThrow('run experiment "c" first');
  });
});
