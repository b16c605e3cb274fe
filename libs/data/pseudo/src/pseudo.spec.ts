import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, writeNpy } from '@segkit/io';
import type { TrainSet } from '@segkit/data';
import { confidentShare, PseudoLabels, pseudoPaths, readPseudoLabels, readPseudoRecord, selectConfident, selectConfidentFromNpy, withPseudoLabels, writePseudoLabels } from './index';

describe('confidentShare', () => {
  // σ(x) = 1 / (1 + e^(−x)) by hand: σ(−3) = 0.047, σ(−1) = 0.269, σ(0) = 0.5, σ(1.5) = 0.818, σ(2) = 0.881;
  // near the edges σ(±1.3) = 0.214 / 0.786, σ(−1.39) = 0.1994, σ(−1.38) = 0.2010, σ(1.39) = 0.8006, σ(1.38) = 0.7990.
  it.each([
    [[-3, -1, 0, 1.5, 2], 3 / 5],
    [[-1.39, -1.38, 1.38, 1.39], 2 / 4],
    [[-1.3, 1.3], 0],
    [[-20, 20, -20, 20], 1],
    [[0, 0, 0], 0],
  ])('of %p is %p', (logits, share) => {
    expect(confidentShare(Float32Array.from(logits), 0, logits.length)).toBeCloseTo(share, 12);
  });

  it('reads one image of several', () => {
    const logits = Float32Array.from([0, 0, -5, 5, 0, 5]);
    expect([confidentShare(logits, 0, 2), confidentShare(logits, 2, 2), confidentShare(logits, 4, 2)]).toEqual([0, 1, 0.5]);
    expect(() => confidentShare(logits, 5, 2)).toThrow('outside');
  });
});

// Three images of 2×2: shares 1, 3/4 and 1/2 (σ(±3) = 0.047 / 0.953, σ(±0.1) ≈ 0.5).
const THREE = Float32Array.from([-5, -5, -5, -5, 3, 3, -3, 0, 0.1, -0.1, 3, 3]);
const chunksOf = (values: Float32Array, pixels: number, perChunk: number) => (onChunk: (v: Float32Array, first: number) => void) => {
  const n = values.length / pixels;
  for (let i = 0; i < n; i += perChunk) onChunk(values.subarray(i * pixels, Math.min(n, i + perChunk) * pixels), i);
  return n;
};

describe('selectConfident', () => {
  it.each([1, 2, 3])('keeps the images with a confident share ≥ minConfidence and their masks p > 0.5 (%p images per chunk)', (perChunk) => {
    const s = selectConfident(chunksOf(THREE, 4, perChunk), 4, 0.75);
    expect(s.indices).toEqual([0, 1]);
    expect(Array.from(s.shares)).toEqual([1, 0.75, 0.5]);
    expect(Array.from(s.masks)).toEqual([0, 0, 0, 0, 1, 1, 0, 0]);
  });

  it.each([
    [0.9, [0]],
    [0.5, [0, 1, 2]],
    [1, [0]],
  ])('at minConfidence %p keeps %p', (min, indices) => {
    expect(selectConfident(chunksOf(THREE, 4, 2), 4, min).indices).toEqual(indices);
  });

  it('refuses a minConfidence outside (0, 1]', () => {
    expect(() => selectConfident(chunksOf(THREE, 4, 2), 4, 0)).toThrow('minConfidence');
    expect(() => selectConfident(chunksOf(THREE, 4, 2), 4, 1.5)).toThrow('minConfidence');
  });

  it('streams a logits .npy', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pseudo-')), 'test.npy');
    writeNpy(path, THREE, [3, 2, 2]);
    expect(selectConfidentFromNpy(path, 4, 0.75, 2).indices).toEqual([0, 1]);
  });
});

const labels = (): PseudoLabels => ({ ids: ['t1', 't2'], height: 2, width: 2, channels: 1, images: Uint8Array.from([0, 10, 200, 255, 1, 2, 3, 4]), masks: Uint8Array.from([0, 0, 0, 0, 1, 0, 1, 1]) });
const about = { round: 1, minConfidence: 0.9, confidentBelow: 0.2, confidentAbove: 0.8, nTest: 5, meanShare: 0.8, source: 'a'.repeat(64) };

describe('the pseudo-label files', () => {
  it('round-trip, with the counts in pseudo.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pseudo-'));
    const record = writePseudoLabels(dir, labels(), about);
    expect(record).toMatchObject({ nSelected: 2, nEmpty: 1, height: 2, width: 2, channels: 1 });
    expect(readPseudoRecord(dir)).toEqual(record);
    const back = readPseudoLabels(dir);
    expect(back.labels).toEqual(labels());
    expect(back.record).toEqual(record);
  });

  it('name the file of a damaged array, and of content that is not the fingerprinted one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pseudo-'));
    writePseudoLabels(dir, labels(), about);
    writeNpy(pseudoPaths(dir).masks, Float32Array.from([0, 0, 0, 0, 1, 0, 1, 2]), [2, 2, 2]);
    expect(() => readPseudoLabels(dir)).toThrow(UserError);
    expect(() => readPseudoLabels(dir)).toThrow(/masks\.npy: value 2 at index 7 is not 0 or 1/);
    writeNpy(pseudoPaths(dir).masks, Float32Array.from([0, 0, 0, 0, 1, 0, 1]), [1, 7]);
    expect(() => readPseudoLabels(dir)).toThrow(/masks\.npy: shape \(1, 7\), expected \(2, 2, 2\)/);
    writeNpy(pseudoPaths(dir).masks, Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), [2, 2, 2]);
    expect(() => readPseudoLabels(dir)).toThrow('do not match the fingerprint');
    writeFileSync(pseudoPaths(dir).ids, 't1\n');
    expect(() => readPseudoLabels(dir)).toThrow(/ids\.txt: 1 ids, but pseudo\.json says nSelected 2/);
  });
});

describe('withPseudoLabels', () => {
  it('appends the labels after the train images, which keep their indices', () => {
    const train: TrainSet = { ids: ['a'], height: 2, width: 2, images: Uint8Array.from([9, 9, 9, 9]), masks: Uint8Array.from([1, 1, 1, 1]), depths: Float32Array.from([5]) };
    const { set, pseudoIdx } = withPseudoLabels(train, labels());
    expect(pseudoIdx).toEqual([1, 2]);
    expect(set.ids).toEqual(['a', 't1', 't2']);
    expect(Array.from(set.images)).toEqual([9, 9, 9, 9, 0, 10, 200, 255, 1, 2, 3, 4]);
    expect(Array.from(set.masks)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1]);
    expect(Array.from(set.depths)).toEqual([5, NaN, NaN]);
    expect(() => withPseudoLabels({ ...train, width: 3 }, labels())).toThrow('do not match');
  });
});
