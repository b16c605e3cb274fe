import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import { pairedFolds, saltSquares } from '@segkit/folds/testing';
import { useBackend } from '@segkit/backend/testing';
import { UserError } from '@segkit/io';
import { foldLayoutAt, stageLayout } from '@segkit/run';
import { curvesCsv, readFoldResult, readStageDone, readWeightsFingerprint } from './artifacts';
import { pseudoDataHash, stageFingerprint, trainDataHash } from './fingerprint';
import { configCrop, weightsFinite } from './epoch';
import { bestModelDir, foldResultPath, trainFold } from './train-fold';

/** Eight 16×16 images: a bright square (the "salt") on half of them, nothing on the others. */
function tinyTrainSet(): TrainSet {
  return saltSquares({ n: 8, size: 16, square: { x0: 4, x1: 12, y0: 4, y1: 12 }, salt: 200, background: (x, y, i) => 40 + ((x + y + i) % 5) * 10 });
}

const raw = {
  seed: 3,
  folds: { k: 2 },
  model: { depth: 1, baseFilters: 2, batchNorm: false },
  train: { batchSize: 4, augment: { hflip: true } },
  stage1: { epochs: 2, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.001, loss: [{ kind: 'lovasz', weight: 1 }] },
};

describe('the training crop of a config', () => {
  it('is the crop section in crop mode and none otherwise, also for input.scale (which needs the data size only to resize)', () => {
    expect(configCrop(parseConfig({ ...raw, input: { mode: 'crop', size: 8, cropBias: 0.25 } }))).toEqual({ height: 8, width: 8, bias: 0.25 });
    expect(configCrop(parseConfig({ ...raw, input: { mode: 'resize', scale: 2 } }))).toBeUndefined();
    expect(configCrop(parseConfig(raw))).toBeUndefined();
  });
});

describe('trainFold', () => {
  const train = tinyTrainSet();
  const folds = pairedFolds(train.ids);

  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('trains a pseudo-label round on the fold\'s training images plus the pseudo-labels, validates on the same images, and keys both stages by them', async () => {
    const before = tf.memory().numTensors;
    const config = parseConfig({ ...raw, stage1: { ...raw.stage1, epochs: 1 } });
    // Three images of another set: their ids, pixels and masks become extra training images.
    const extra = tinyTrainSet();
    const labels = { ids: ['p0', 'p1', 'p2'], height: 16, width: 16, channels: 1 as const, images: extra.images.slice(0, 3 * 256), masks: extra.masks.slice(0, 3 * 256) };
    const foldDir = mkdtempSync(join(tmpdir(), 'fold-'));
    const logs: string[] = [];
    const r = await trainFold({ config, train, folds, fold: 0, foldDir, pseudo: { labels, fingerprint: 'a'.repeat(64) }, log: (m) => logs.push(m) });
    expect([r.nTrain, r.nVal]).toEqual([4 + 3, 4]);
    expect(logs).toContain('fold 0: 4 train + 3 pseudo-labelled test / 4 validation images');
    // Keyed by the pseudo-labels: not the plain fold's fingerprint, another one for other labels.
    const keyed = (pseudo?: string) => stageFingerprint(config, train, folds, 0, 2, pseudoDataHash(trainDataHash(train), pseudo));
    expect(r.fingerprint).toBe(keyed('a'.repeat(64)));
    expect(new Set([keyed(), keyed('a'.repeat(64)), keyed('b'.repeat(64))]).size).toBe(3);
    expect(keyed()).toBe(stageFingerprint(config, train, folds, 0, 2));
    expect(tf.memory().numTensors).toBe(before);
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
    expect(r.stage2.bestValScore).toBeGreaterThanOrEqual(r.stage1.bestValScore);
    expect(r.stage2.bestEpoch).toBeGreaterThanOrEqual(0);
    for (const h of [...r.stage1.history, ...r.stage2.history]) {
      expect(Number.isFinite(h.loss)).toBe(true);
      expect(h.val_score).toBeGreaterThanOrEqual(0);
      expect(h.val_score).toBeLessThanOrEqual(1);
    }
    expect(existsSync(join(bestModelDir(foldDir, 1), 'model.json'))).toBe(true);
    expect(existsSync(join(bestModelDir(foldDir, 2), 'model.json'))).toBe(true);
    // The curve in three places under one set of names: log.jsonl, log.csv and the console line.
    const jsonl = readFileSync(stageLayout(foldDir, 1).log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(r.stage1.history);
    expect(Object.keys(jsonl[0])).toEqual(['epoch', 'stage', 'loss', 'val_loss', 'val_score', 'lr', 'seconds']);
    const csv = readFileSync(stageLayout(foldDir, 1).logCsv, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,stage,loss,val_loss,val_score,lr,seconds');
    expect(csv.slice(1).map((l) => l.split(',').map(Number))).toEqual(r.stage1.history.map((h) => [h.epoch, h.stage, h.loss, h.val_loss, h.val_score, h.lr, h.seconds]));
    expect(logs.find((l) => /stage 1 epoch 1\/2:/.test(l))).toMatch(/: loss [\d.]+ val_loss [\d.]+ val_score [\d.]+ \(mAP\) lr [\d.e+-]+ seconds [\d.]+/);
    // The last two epochs' checkpoints are kept: the newest, and one to fall back on.
    expect(readdirSync(join(foldDir, 'stage1', 'checkpoints')).sort()).toEqual(['ckpt-0000.bin', 'ckpt-0000.json', 'ckpt-0001.bin', 'ckpt-0001.json']);
    expect(tf.memory().numTensors).toBe(before);

    // Same config and data: the finished fold is not redone.
    logs.length = 0;
    const again = await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(again).toEqual(r);
    expect(logs.join('\n')).toMatch(/already trained/);

    expect(readFoldResult(foldDir)).toEqual(r);
    expect(readWeightsFingerprint(foldDir)).toBe(r.fingerprint);

    // Settings of later steps and the name change nothing.
    logs.length = 0;
    await trainFold({ config: parseConfig({ ...raw, name: 'other', predict: { batchSize: 1 }, tune: { minAreas: [0] } }), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/already trained/);

    // A stage-2 change retrains stage 2 only, from the kept stage-1 weights.
    logs.length = 0;
    const stage1Weights = join(bestModelDir(foldDir, 1), 'weights.bin');
    const [bytes1, mtime1] = [readFileSync(stage1Weights), statSync(stage1Weights).mtimeMs];
    const stage2Changed = await trainFold({ config: parseConfig({ ...raw, stage2: { ...raw.stage2, lr: 0.002 } }), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/fold 0 stage 1: already done/);
    expect(logs.join('\n')).toMatch(/stage 2: trained from another config or data; starting the stage afresh/);
    expect(logs.join('\n')).toMatch(/stage 2 epoch 1\/1/);
    expect(logs.join('\n')).not.toMatch(/stage 1 epoch/);
    expect(readFileSync(stage1Weights).equals(bytes1)).toBe(true);
    expect(statSync(stage1Weights).mtimeMs).toBe(mtime1);
    expect(stage2Changed.stage1).toEqual(r.stage1);
    expect(stage2Changed.fingerprint).not.toBe(r.fingerprint);

    // A stage-1 change retrains both stages.
    logs.length = 0;
    const changed = parseConfig({ ...raw, stage1: { ...raw.stage1, lr: 0.02 } });
    await trainFold({ config: changed, train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/stage 1: trained from another config or data; starting the stage afresh/);
    expect(logs.join('\n')).toMatch(/stage 1 epoch 1\/2/);
    expect(logs.join('\n')).toMatch(/stage 2 epoch 1\/1/);
    expect(existsSync(foldResultPath(foldDir))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('a damaged newest checkpoint falls back to the newest whole one with a warning; with none whole the stage starts over', async () => {
    const before = tf.memory().numTensors;
    const foldDir = mkdtempSync(join(tmpdir(), 'fold-'));
    const r = await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: () => undefined });
    // A crash before stage 1 was recorded as done, its newest checkpoint cut in half.
    const s1 = stageLayout(foldDir, 1);
    const crash = () => {
      rmSync(s1.done);
      rmSync(foldResultPath(foldDir));
    };
    crash();
    const bin = join(s1.checkpoints, 'ckpt-0001.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, Math.floor(statSync(bin).size / 2)));
    const logs: string[] = [];
    const again = await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    let text = logs.join('\n');
    expect(text).toContain(`warning: fold 0 stage 1: removed the damaged checkpoint of epoch 2 (${bin}: truncated;`);
    expect(text).toContain('warning: fold 0 stage 1: resuming from the newest whole checkpoint, after epoch 1');
    expect(text).toMatch(/stage 1 epoch 2\/2/);
    expect(text).not.toMatch(/stage 1 epoch 1\/2/);
    // Resuming is bit-identical: the same stage 1, so stage 2 is kept.
    expect(again.stage1.history.map((h) => [h.loss, h.val_score])).toEqual(r.stage1.history.map((h) => [h.loss, h.val_score]));
    // …and so are the kept model's validation logits (done.json records their sha-256).
    expect(r.stage1.valLogits?.n).toBe(4);
    expect(again.stage1.valLogits).toEqual(r.stage1.valLogits);
    expect(text).toMatch(/fold 0 stage 2: already done/);

    // Both checkpoints damaged (an empty state, an empty tensor file): stage 1 starts over.
    crash();
    writeFileSync(join(s1.checkpoints, 'ckpt-0001.json'), '');
    writeFileSync(join(s1.checkpoints, 'ckpt-0000.bin'), '');
    logs.length = 0;
    await trainFold({ config: parseConfig(raw), train, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    text = logs.join('\n');
    expect(text).toContain(`removed the damaged checkpoint of epoch 2 (${join(s1.checkpoints, 'ckpt-0001.json')}: not valid JSON`);
    expect(text).toContain(`removed the damaged checkpoint of epoch 1 (${join(s1.checkpoints, 'ckpt-0000.bin')}: empty (0 bytes)`);
    expect(text).toContain('warning: fold 0 stage 1: no whole checkpoint left: starting the stage over');
    expect(text).toMatch(/stage 1 epoch 1\/2/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('a damaged result or stage record is a user error naming file and field', async () => {
    const foldDir = mkdtempSync(join(tmpdir(), 'fold-'));
    await trainFold({ config: parseConfig(raw), train, folds, fold: 1, foldDir });
    const result = foldLayoutAt(foldDir).result;
    const good = JSON.parse(readFileSync(result, 'utf8'));
    writeFileSync(result, JSON.stringify({ ...good, stage1: { ...good.stage1, bestValScore: 'high' } }));
    expect(() => readFoldResult(foldDir)).toThrow(UserError);
    expect(() => readFoldResult(foldDir)).toThrow(`${result}: stage1.bestValScore: Expected number, received string`);
    writeFileSync(result, JSON.stringify(good).slice(0, 40));
    expect(() => readFoldResult(foldDir)).toThrow(`${result}: not valid JSON`);
    const done = stageLayout(foldDir, 2).done;
    writeFileSync(done, JSON.stringify({ stage: 3 }));
    expect(() => readStageDone(foldDir, 2)).toThrow(`${done}: stage: `);
  }, 60_000);

  it('writes curves as CSV with an optional leading column (by hand)', () => {
    const rows = [
      { epoch: 1, stage: 1 as const, loss: 0.5, val_loss: 0.25, val_score: 0.125, lr: 0.001, seconds: 2 },
      { epoch: 1, stage: 2 as const, loss: 0.75, val_loss: 1e-7, val_score: 1, lr: 1e-4, seconds: 0.5 },
    ];
    expect(curvesCsv(rows)).toBe('epoch,stage,loss,val_loss,val_score,lr,seconds\n1,1,0.5,0.25,0.125,0.001,2\n1,2,0.75,1e-7,1,0.0001,0.5\n');
    expect(curvesCsv(rows, { name: 'fold', values: [3, 3] }).split('\n')[1]).toBe('3,1,1,0.5,0.25,0.125,0.001,2');
  });

  it.each([
    ['the seed', { seed: 4 }, true, true],
    ['the model', { model: { ...raw.model, baseFilters: 3 } }, true, true],
    ['the train section', { train: { batchSize: 2 } }, true, true],
    ['stage 1', { stage1: { ...raw.stage1, epochs: 3 } }, true, true],
    ['stage 2', { stage2: { ...raw.stage2, epochs: 2 } }, false, true],
    ['the name', { name: 'renamed' }, false, false],
    ['predict, ensemble and tune', { predict: { hflipTta: false, batchSize: 2 }, ensemble: { mode: 'prob-mean' }, tune: { minAreas: [0] } }, false, false],
    ['a default written out', { stage2: { ...raw.stage2, earlyStoppingPatience: 0, schedule: { kind: 'plateau' } } }, false, false],
  ])('changing %s changes stage 1: %s, stage 2: %s', (_what, change, s1, s2) => {
    const base = parseConfig(raw);
    const other = parseConfig({ ...raw, ...change });
    for (const [stage, changes] of [[1, s1], [2, s2]] as const) {
      expect(stageFingerprint(other, train, folds, 0, stage) !== stageFingerprint(base, train, folds, 0, stage)).toBe(changes);
    }
  });

  it('fingerprints the fold assignment and the pixels', () => {
    const cfg = parseConfig(raw);
    const base = stageFingerprint(cfg, train, folds, 0, 1);
    expect(stageFingerprint(cfg, train, folds, 1, 1)).not.toBe(base);
    const other = { ...train, images: train.images.slice() };
    other.images[5] ^= 1;
    expect(stageFingerprint(cfg, other, folds, 0, 1)).not.toBe(base);
    expect(stageFingerprint(cfg, other, folds, 0, 2)).not.toBe(stageFingerprint(cfg, train, folds, 0, 2));
  });

  it('stops a diverging fold with a user error naming fold, stage, epoch and step, leaking no tensors', async () => {
    const before = tf.memory().numTensors;
    const foldDir = mkdtempSync(join(tmpdir(), 'fold-'));
    // Adam moves every weight by about lr per step, so lr 1e30 overflows float32 within a step or two.
    const diverging = parseConfig({ ...raw, stage1: { ...raw.stage1, lr: 1e30 } });
    let caught: unknown;
    try {
      await trainFold({ config: diverging, train, folds, fold: 1, foldDir });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(
      /^fold 1 stage 1 epoch [12]\/2 (step 1\/1|validation): training diverged \((the loss became (NaN|Infinity|-Infinity)|a weight became NaN or infinite|the validation loss became (NaN|Infinity))\); lower stage1\.lr \(now 1e\+30\) in the config and rerun$/,
    );
    expect(existsSync(foldResultPath(foldDir))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe('weightsFinite', () => {
  it.each([
    [[1, -2, 3e38], true],
    [[0, NaN], false],
    [[Infinity, 1], false],
    [[-Infinity], false],
  ])('%j → %s', (values, finite) => {
    const before = tf.memory().numTensors;
    const vars = tf.tidy(() => [tf.variable(tf.tensor1d([0.5, 0.25])), tf.variable(tf.tensor1d(values as number[]))]);
    expect(weightsFinite(vars)).toBe(finite);
    vars.forEach((v) => v.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
