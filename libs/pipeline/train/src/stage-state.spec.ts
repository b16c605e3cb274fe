import { parseConfig } from '@segkit/config';
import type { StageConfig } from '@segkit/config';
import type { EpochRow } from './artifacts';
import { afterEpoch, epochLine, freshStageState, learningRate, StageState, stageStateSchema, startFromStage1Best } from './stage-state';

/** A stage's settings as the schema fills them in, with `over` on top. */
function stageConfig(over: Record<string, unknown>): StageConfig {
  return parseConfig({ stage1: { epochs: 6, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }], ...over } }).stage1;
}

const row = (epoch: number, val_score: number, stage: 1 | 2 = 1): EpochRow => ({ epoch, stage, loss: 0.5, val_loss: 0.4, val_score, lr: 0.01, seconds: 2 });

/** Runs afterEpoch over a curve of val mAPs (epochs 1, 2, …) and returns every outcome. */
function run(cfg: StageConfig, maps: number[], stage: 1 | 2 = 1, start: StageState = freshStageState(cfg)) {
  let state = start;
  return maps.map((m, i) => {
    const o = afterEpoch(state, row(i + 1, m, stage), stage, cfg);
    state = o.state;
    return o;
  });
}

describe('stage bookkeeping', () => {
  it('keeps the strictly best epoch and counts the epochs since (by hand)', () => {
    const cfg = stageConfig({ schedule: { kind: 'constant' } });
    const out = run(cfg, [0.2, 0.5, 0.5, 0.4, 0.6]);
    expect(out.map((o) => o.improved)).toEqual([true, true, false, false, true]);
    expect(out.map((o) => o.state.bestEpoch)).toEqual([1, 2, 2, 2, 5]);
    expect(out.map((o) => o.state.bestValScore)).toEqual([0.2, 0.5, 0.5, 0.5, 0.6]);
    expect(out.map((o) => o.state.epochsWithoutImprovement)).toEqual([0, 0, 1, 2, 0]);
    const last = out[4].state;
    expect(last.epoch).toBe(4);
    expect(last.history.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(last.seconds).toBe(10);
  });

  it.each([
    [0, [0.5, 0.4, 0.4, 0.4, 0.4], [false, false, false, false, false]],
    [2, [0.5, 0.4, 0.4, 0.4, 0.4], [false, false, true, true, true]],
    [2, [0.5, 0.4, 0.6, 0.4, 0.3], [false, false, false, false, true]],
  ])('early stopping with patience %i (0 = off)', (patience, maps, stops) => {
    const cfg = stageConfig({ schedule: { kind: 'constant' }, earlyStoppingPatience: patience });
    expect(run(cfg, maps).map((o) => o.stop)).toEqual(stops);
  });

  it('steps the plateau schedule: lr halves after more than `patience` epochs without a better score', () => {
    const cfg = stageConfig({ schedule: { kind: 'plateau', factor: 0.5, patience: 1, minLr: 0.003 } });
    const out = run(cfg, [0.3, 0.2, 0.2, 0.2, 0.2, 0.2]);
    // Epoch 2 is the first bad one, epoch 3 the second (> patience): halve, restart the count.
    expect(out.map((o) => o.state.plateau.lr)).toEqual([0.01, 0.01, 0.005, 0.005, 0.003, 0.003]);
    expect(out.map((o) => learningRate(cfg, o.state, 0))).toEqual([0.01, 0.01, 0.005, 0.005, 0.003, 0.003]);
  });

  it('gives the cosine and constant learning rates by epoch, not by state', () => {
    const cosine = stageConfig({ epochs: 4, lr: 0.01, schedule: { kind: 'cosine', cycles: 2, minLr: 0 } });
    // SGDR with period 2: lr0, then lr0·½(1 + cos(π/2)) = lr0/2, restarting at epoch 2.
    expect([0, 1, 2, 3].map((e) => learningRate(cosine, freshStageState(cosine), e))).toEqual([0.01, 0.005, 0.01, 0.005]);
    const constant = stageConfig({ lr: 0.02, schedule: { kind: 'constant' } });
    expect(learningRate(constant, freshStageState(constant), 5)).toBe(0.02);
  });

  it('snapshots the last epoch of each cosine cycle in stage 2 only', () => {
    const cosine = stageConfig({ epochs: 6, schedule: { kind: 'cosine', cycles: 3, minLr: 0 } });
    const maps = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    expect(run(cosine, maps, 2).map((o) => o.snapshot)).toEqual([false, true, false, true, false, true]);
    expect(run(cosine, maps, 1).some((o) => o.snapshot)).toBe(false);
    const plateau = stageConfig({ epochs: 6, schedule: { kind: 'plateau', factor: 0.5, patience: 1, minLr: 0 } });
    expect(run(plateau, maps, 2).some((o) => o.snapshot)).toBe(false);
  });

  it("stage 2 keeps stage 1's weights unless an epoch beats stage 1's best", () => {
    const cfg = stageConfig({ schedule: { kind: 'plateau', factor: 0.5, patience: 0, minLr: 0 } });
    const start = startFromStage1Best(freshStageState(cfg), 0.5);
    expect(start.plateau).toEqual({ lr: 0.01, best: 0.5, badEpochs: 0 });
    const out = run(cfg, [0.4, 0.5, 0.55], 2, start);
    expect(out.map((o) => o.improved)).toEqual([false, false, true]);
    expect(out.map((o) => o.state.bestEpoch)).toEqual([0, 0, 3]);
    // No better score in epoch 1 with patience 0: the plateau lr halves at once.
    expect(out[0].state.plateau.lr).toBe(0.005);
  });

  it('leaves the state it is given unchanged, and the state survives a checkpoint round trip', () => {
    const cfg = stageConfig({ schedule: { kind: 'constant' } });
    const state = freshStageState(cfg);
    const copy = JSON.parse(JSON.stringify(state));
    const next = afterEpoch(state, row(1, 0.3), 1, cfg).state;
    expect(JSON.parse(JSON.stringify(state))).toEqual(copy);
    // -Infinity is written as null in JSON and read back as -Infinity.
    expect(stageStateSchema.parse(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(stageStateSchema.parse(JSON.parse(JSON.stringify(next)))).toEqual(next);
    expect(Object.keys(next)).toEqual(Object.keys(stageStateSchema.shape));
  });

  it('writes the console line with the curve names', () => {
    const r: EpochRow = { epoch: 3, stage: 2, loss: 0.123456, val_loss: 0.5, val_score: 0.71234, lr: 0.00025, seconds: 12.345 };
    expect(epochLine(4, 10, r, true)).toBe('fold 4 stage 2 epoch 3/10: loss 0.1235 val_loss 0.5000 val_score 0.7123 (mAP) lr 2.50e-4 seconds 12.3 (best)');
    expect(epochLine(4, 10, r, false, 'dice')).toBe('fold 4 stage 2 epoch 3/10: loss 0.1235 val_loss 0.5000 val_score 0.7123 (Dice) lr 2.50e-4 seconds 12.3');
    expect(epochLine(4, 10, r, false)).not.toMatch(/best/);
  });
});
