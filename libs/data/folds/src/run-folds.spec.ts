import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { runLayout } from '@segkit/run';
import { readRunFolds, writeRunFolds } from './csv';
import { assignTrainFolds, foldSizes } from './folds';

// Four 1×2 train images: coverage 0, 1/2, 1, 0.
const train = { ids: ['a', 'b', 'c', 'd'], masks: Uint8Array.from([0, 0, 1, 0, 1, 1, 0, 0]), depths: Float32Array.from([1, 2, 3, 4]), height: 1, width: 2 };

describe("a run's folds", () => {
  it('every train id gets one of the k folds, and the sizes add up', () => {
    const folds = assignTrainFolds(train, { k: 2, seed: 7, stratify: 'coverage' }, '/data');
    expect([...folds.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    // Coverage classes: a, d empty (class 0) → one in each fold; b and c each alone in their class.
    expect(folds.get('a')).not.toBe(folds.get('d'));
    expect(foldSizes(folds, 2).reduce((s, n) => s + n, 0)).toBe(4);
  });

  it('stratifying by depth needs every depth', () => {
    const noDepth = { ...train, depths: Float32Array.from([1, NaN, 3, 4]) };
    expect(() => assignTrainFolds(noDepth, { k: 2, seed: 7, stratify: 'depth' }, '/data')).toThrow('folds.stratify is "depth" but /data/depths.csv does not give a depth for every train id');
  });

  it('foldSizes counts by hand', () => expect(foldSizes(new Map([['a', 1], ['b', 1], ['c', 0]]), 3)).toEqual([1, 2, 0]));

  it('folds.csv is written at the layout path and read back; missing, it names the step to run', () => {
    const work = mkdtempSync(join(tmpdir(), 'run-folds-'));
    try {
      expect(() => readRunFolds(work, train.ids)).toThrow(UserError);
      expect(() => readRunFolds(work, train.ids)).toThrow(`${runLayout(work).folds} is missing: run the folds step first`);
      const folds = new Map([['a', 0], ['b', 1], ['c', 0], ['d', 1]]);
      expect(writeRunFolds(work, folds)).toBe(runLayout(work).folds);
      expect(readRunFolds(work, train.ids)).toEqual(folds);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
