import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@tgs/config';
import type { TrainSet } from '@tgs/data';
import { bestModelDir, foldFingerprint, foldResultPath, trainFold } from './train-fold';

/** Eight 16×16 images: a bright square (the "salt") on half of them, nothing on the others. */
function tinyTrainSet(): TrainSet {
  const n = 8;
  const h = 16;
  const w = 16;
  const images = new Uint8Array(n * h * w);
  const masks = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const salt = i % 2 === 0 && x >= 4 && x < 12 && y >= 4 && y < 12;
        images[i * h * w + y * w + x] = salt ? 200 : 40 + ((x + y + i) % 5) * 10;
        masks[i * h * w + y * w + x] = salt ? 1 : 0;
      }
    }
  }
  return { ids: Array.from({ length: n }, (_, i) => `id${i}`), height: h, width: w, images, masks, depths: new Float32Array(n).fill(NaN) };
}

const raw = {
  seed: 3,
  folds: { k: 2 },
  model: { depth: 1, baseFilters: 2, batchNorm: false },
  train: { batchSize: 4, augment: { hflip: true } },
  stage1: { epochs: 2, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.001, loss: [{ kind: 'lovasz', weight: 1 }] },
};

describe('trainFold', () => {
  const train = tinyTrainSet();
  const folds = new Map(train.ids.map((id, i) => [id, i % 4 < 2 ? 0 : 1]));

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains both stages, keeps stage 2 no worse than stage 1 on validation, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const foldDir = mkdtempSync(join(tmpdir(), 'fold-'));
    const logs: string[] = [];
    const r = await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(r.nTrain).toBe(4);
    expect(r.nVal).toBe(4);
    expect(r.stage1.history.map((h) => [h.stage, h.epoch])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(r.stage2.history.map((h) => [h.stage, h.epoch])).toEqual([[2, 1]]);
    expect(r.stage2.bestValMap).toBeGreaterThanOrEqual(r.stage1.bestValMap);
    expect(r.stage2.bestEpoch).toBeGreaterThanOrEqual(0);
    for (const h of [...r.stage1.history, ...r.stage2.history]) {
      expect(Number.isFinite(h.loss)).toBe(true);
      expect(h.valMap).toBeGreaterThanOrEqual(0);
      expect(h.valMap).toBeLessThanOrEqual(1);
    }
    expect(existsSync(join(bestModelDir(foldDir, 1), 'model.json'))).toBe(true);
    expect(existsSync(join(bestModelDir(foldDir, 2), 'model.json'))).toBe(true);
    // Only the last epoch's checkpoint is kept.
    expect(readdirSync(join(foldDir, 'stage1', 'checkpoints')).sort()).toEqual(['ckpt-0001.bin', 'ckpt-0001.json']);
    expect(tf.memory().numTensors).toBe(before);

    // Same config and data: the finished fold is not redone.
    logs.length = 0;
    const again = await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(again).toEqual(r);
    expect(logs.join('\n')).toMatch(/already trained/);

    // A changed config retrains from scratch.
    logs.length = 0;
    const changed = parseConfig({ ...raw, stage1: { ...raw.stage1, lr: 0.02 } });
    await trainFold({ config: changed, train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/starting the fold afresh/);
    expect(logs.join('\n')).toMatch(/stage 1 epoch 1\/2/);
    expect(existsSync(foldResultPath(foldDir))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('fingerprints config, fold assignment and pixels', () => {
    const cfg = parseConfig(raw);
    const base = foldFingerprint(cfg, train, folds, 0);
    expect(foldFingerprint(cfg, train, folds, 0)).toBe(base);
    expect(foldFingerprint(cfg, train, folds, 1)).not.toBe(base);
    expect(foldFingerprint(parseConfig({ ...raw, seed: 4 }), train, folds, 0)).not.toBe(base);
    const other = { ...train, images: train.images.slice() };
    other.images[5] ^= 1;
    expect(foldFingerprint(cfg, other, folds, 0)).not.toBe(base);
  });
});
