import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import { pairedFolds, saltSquares } from '@segkit/folds/testing';
import { stageLayout } from '@segkit/run';
import { readStageDone } from './artifacts';
import { emaDecay, emaStep, isSwaMember, recomputeBatchNorm, swaStep, WeightAverage } from './averaging';
import { stageOutputDir } from './stage';
import { trainFold } from './train-fold';
import { useBackend } from '@segkit/backend/testing';

beforeAll(async () => {
  await useBackend('wasm');
});

/** A dense model 2 → 1 whose kernel and bias are set by hand. */
function tinyModel(kernel: [number, number], bias: number): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  tf.tidy(() => model.setWeights([tf.tensor2d([[kernel[0]], [kernel[1]]]), tf.tensor1d([bias])]));
  return model;
}

const values = (ts: readonly tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describe('emaStep', () => {
  it('after n steps equals dⁿ·s₀ + (1 − d)·Σ dⁿ⁻ⁱ·wᵢ (by hand)', () => {
    const before = tf.memory().numTensors;
    const shadow = [tf.tidy(() => tf.variable(tf.tensor1d([1, -2])))];
    const ws = [
      [3, 0],
      [-1, 4],
      [2, 2],
    ];
    for (const w of ws) tf.tidy(() => emaStep(shadow, [tf.tensor1d(w)], 0.5));
    // d = ½: s₃ = s₀/8 + ½·(w₁/4 + w₂/2 + w₃) = (1/8 + 3/8 − 1/4 + 1, −2/8 + 0 + 1 + 1) = (1.25, 1.75).
    expect(Array.from(shadow[0].dataSync())).toEqual([1.25, 1.75]);
    shadow.forEach((v) => v.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a decay outside [0, 1) and mismatched lists', () => {
    const v = tf.variable(tf.scalar(1));
    const w = tf.scalar(2);
    expect(() => emaStep([v], [w], 1)).toThrow('decay must be in [0, 1)');
    expect(() => emaStep([v], [], 0.5)).toThrow('1 shadow weights for 0 weights');
    v.dispose();
    w.dispose();
  });
});

describe('emaDecay', () => {
  it.each([
    [0.99, 1, 2 / 11],
    [0.99, 8, 0.5],
    [0.99, 90, 0.91],
    [0.9, 1000, 0.9],
    [0.5, 3, 4 / 13],
  ])('decay %d at step %d is %d (by hand: min(d, (1 + k)/(10 + k)))', (d, k, expected) => {
    expect(emaDecay(d, k)).toBeCloseTo(expected, 12);
  });
});

describe('swaStep and WeightAverage', () => {
  it('the running mean of three members is their mean (by hand)', () => {
    const before = tf.memory().numTensors;
    const mean = [tf.tidy(() => tf.variable(tf.tensor1d([100, 100])))];
    [[1, 2], [3, -4], [5, 8]].forEach((w, k) => tf.tidy(() => swaStep(mean, [tf.tensor1d(w)], k)));
    expect(Array.from(mean[0].dataSync())).toEqual([3, 2]);
    mean[0].dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('SWA of two tiny models is the mean of their weights; EMA of one step folds it in with 1 − d', () => {
    const before = tf.memory().numTensors;
    const a = tinyModel([1, 2], 3);
    const b = tinyModel([5, -2], 0);
    const swa = WeightAverage.start('swa', a);
    swa.addMember(a);
    swa.addMember(b);
    expect(swa.members).toBe(2);
    expect(values(swa.tensors())).toEqual([[3, 0], [1.5]]);
    // The average is a copy: training the model further does not move it.
    tf.tidy(() => a.setWeights([tf.tensor2d([[9], [9]]), tf.tensor1d([9])]));
    expect(values(swa.tensors())).toEqual([[3, 0], [1.5]]);
    const ema = WeightAverage.start('ema', b);
    ema.afterStep(a, 0.9);
    // Step 1's decay is min(0.9, 2/11) = 2/11: (2/11)·b + (9/11)·a = ((10 + 81)/11, (−4 + 81)/11, 81/11).
    const [[k0, k1], [bias]] = values(ema.tensors());
    expect([k0, k1, bias].map((v) => v * 11)).toEqual([expect.closeTo(91, 4), expect.closeTo(77, 4), expect.closeTo(81, 4)]);
    // Restored from a checkpoint's tensors: same values, same member count.
    const restored = WeightAverage.restore('ema', b, ema.tensors(), ema.members);
    expect(values(restored.tensors())).toEqual(values(ema.tensors()));
    expect(restored.members).toBe(1);
    for (const x of [swa, ema, restored]) x.dispose();
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('recomputeBatchNorm', () => {
  it('sets the moving mean and variance to the mean over batches of the batch statistics (by hand)', () => {
    const before = tf.memory().numTensors;
    const model = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [1, 1, 1], momentum: 0.99 })] });
    // Batch 1: {0, 2} → mean 1, variance 1; batch 2: {4, 4, 10} → mean 6, variance 8.
    const batches = [tf.tensor4d([0, 2], [2, 1, 1, 1]), tf.tensor4d([4, 4, 10], [3, 1, 1, 1])];
    expect(recomputeBatchNorm(model, batches)).toBe(1);
    const [gamma, beta, movingMean, movingVariance] = values(model.getWeights());
    expect(movingMean[0]).toBeCloseTo(3.5, 5);
    expect(movingVariance[0]).toBeCloseTo(4.5, 5);
    expect([gamma, beta]).toEqual([[1], [0]]);
    expect((model.layers[0] as unknown as { momentum: number }).momentum).toBe(0.99);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('isSwaMember', () => {
  const stage = (swa: Record<string, unknown>, schedule: Record<string, unknown> = { kind: 'constant' }) =>
    parseConfig({ stage1: { epochs: 5, lr: 0.01, loss: [{ kind: 'bce' }], schedule, swa } }).stage1;
  it.each([
    ['the last 2 of 5 epochs', stage({ epochs: 2 }), [false, false, false, true, true]],
    ['every epoch', stage({ epochs: 5 }), [true, true, true, true, true]],
    ['off', stage({}), [false, false, false, false, false]],
  ])('%s', (_what, cfg, expected) => {
    expect([0, 1, 2, 3, 4].map((e) => isSwaMember(cfg, e, e === 4))).toEqual(expected);
  });
  it('with snapshots, the cycle ends', () => {
    const cfg = stage({ snapshots: true }, { kind: 'cosine', cycles: 2 });
    expect([true, false, true].map((cycleEnd, e) => isSwaMember(cfg, e, cycleEnd))).toEqual([true, false, true]);
  });
  it.each([
    [{ stage1: { epochs: 2, lr: 0.1, loss: [{ kind: 'bce' }], swa: { epochs: 3 } } }, 'stage1.swa.epochs (3) is more than stage1.epochs (2)'],
    [{ stage2: { epochs: 2, lr: 0.1, loss: [{ kind: 'bce' }], swa: { snapshots: true } } }, 'stage2.swa.snapshots needs stage2.schedule.kind "cosine"'],
    [{ stage2: { epochs: 2, lr: 0.1, loss: [{ kind: 'bce' }], swa: { epochs: 1 }, ema: { decay: 0.9 } } }, 'stage2 sets both ema and swa'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });
});

/** Eight 16×16 images: a bright square on half of them. */
function tinyTrainSet(): TrainSet {
  return saltSquares({ n: 8, size: 16, square: (i) => ({ x0: 3 + (i % 3), x1: 11, y0: 4, y1: 12 }), salt: 190, background: (x, y, i) => 40 + ((x * 3 + y + i) % 7) * 9 });
}

describe('a stage with averaged weights', () => {
  const train = tinyTrainSet();
  const folds = pairedFolds(train.ids);
  const raw = {
    seed: 5,
    folds: { k: 2 },
    model: { depth: 1, baseFilters: 2, batchNorm: true, padTo: 16 },
    train: { batchSize: 2, augment: { hflip: true } },
    stage1: { epochs: 2, lr: 0.01, loss: [{ kind: 'bce' }], ema: { decay: 0.9 } },
    stage2: { epochs: 3, lr: 0.002, loss: [{ kind: 'lovasz' }], swa: { epochs: 2 } },
  };

  it('is what the stage hands on, is recorded beside the best epoch, and resumes after an interruption to the same bits', async () => {
    const before = tf.memory().numTensors;
    const config = parseConfig(raw);
    const whole = mkdtempSync(join(tmpdir(), 'fold-avg-'));
    const logs: string[] = [];
    const r = await trainFold({ config, train, folds, fold: 0, foldDir: whole, log: (m) => logs.push(m) });
    // EMA over 2 epochs of 2 steps; SWA of stage 2's last 2 epochs.
    expect(r.stage1.averaged).toMatchObject({ kind: 'ema', members: 4 });
    expect(r.stage2.averaged).toMatchObject({ kind: 'swa', members: 2 });
    expect(r.stage2.averaged?.snapshotsValScore).toBeUndefined();
    expect(stageOutputDir(whole, 1)).toBe(stageLayout(whole, 1).averaged);
    expect(stageOutputDir(whole, 2)).toBe(stageLayout(whole, 2).averaged);
    expect(existsSync(join(stageLayout(whole, 2).averaged, 'model.json'))).toBe(true);
    expect(logs.join('\n')).toMatch(/fold 0 stage 1: EMA over 4 steps: val_score [\d.]+ \(mAP; best epoch [\d.]+\)/);
    expect(logs.join('\n')).toMatch(/fold 0 stage 2: SWA of 2 epochs: val_score [\d.]+ \(mAP; best epoch [\d.]+\)/);
    // Stage 2's epoch-0 candidate is stage 1's averaged model, with its score.
    expect(r.stage2.bestValScore).toBeGreaterThanOrEqual(r.stage1.averaged?.valScore ?? 1);

    // The same fold interrupted after stage 2's first epoch (the process dies before its checkpoint
    // of epoch 2), then run again: the averages come back from the checkpoints.
    const cut = mkdtempSync(join(tmpdir(), 'fold-avg-'));
    const dying = (m: string) => {
      if (/stage 2 epoch 2\/3/.test(m)) throw new Error('killed');
    };
    await expect(trainFold({ config, train, folds, fold: 0, foldDir: cut, log: dying })).rejects.toThrow('killed');
    expect(readStageDone(cut, 2)).toBeUndefined();
    const resumedLogs: string[] = [];
    const resumed = await trainFold({ config, train, folds, fold: 0, foldDir: cut, log: (m) => resumedLogs.push(m) });
    expect(resumedLogs.join('\n')).toMatch(/stage 2: resuming after epoch 1\/3/);
    const bytes = (dir: string, stage: 1 | 2) => readFileSync(join(stageLayout(dir, stage).averaged, 'weights.bin'));
    expect(bytes(cut, 1).equals(bytes(whole, 1))).toBe(true);
    expect(bytes(cut, 2).equals(bytes(whole, 2))).toBe(true);
    expect(resumed.stage2.averaged).toEqual(r.stage2.averaged);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
