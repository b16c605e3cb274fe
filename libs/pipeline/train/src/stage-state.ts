/**
 * A training stage's bookkeeping between epochs, as pure functions of a small state that is saved
 * with every checkpoint (so a resumed stage continues exactly where it stopped): the learning rate
 * of the next epoch, and after each epoch the best-keeping, the plateau schedule, the cosine
 * snapshots and early stopping. runStage (stage.ts) does the training and the writing around them.
 */
import { z } from 'zod';
import type { StageConfig } from '@segkit/config';
import { metricInfo, type MetricName } from '@segkit/metrics';
import type { Stage } from '@segkit/run';
import { EpochRow, epochRowSchema } from './artifacts';
import { cosineLr, isCycleEnd, plateauStep } from './schedule';

/** Loop state saved with every epoch's checkpoint (validated when a stage resumes). */
export const stageStateSchema = z
  .object({
    /** 0-based index of the last finished epoch; -1 before the first. */
    epoch: z.number().int().min(-1),
    bestValScore: z.number().nullable().transform((v) => v ?? -Infinity),
    bestEpoch: z.number().int().nonnegative(),
    plateau: z.object({ lr: z.number(), best: z.number().nullable().transform((v) => v ?? -Infinity), badEpochs: z.number().int().nonnegative() }).strict(),
    epochsWithoutImprovement: z.number().int().nonnegative(),
    history: z.array(epochRowSchema),
    seconds: z.number().nonnegative(),
    /** Members (SWA) or steps (EMA) in the running weight average saved with the checkpoint. */
    averageMembers: z.number().int().nonnegative().default(0),
  })
  .strict();
export type StageState = z.infer<typeof stageStateSchema>;

/** Before a stage's first epoch: nothing kept yet, the plateau schedule at the stage's lr. */
export function freshStageState(cfg: StageConfig): StageState {
  return {
    epoch: -1,
    bestValScore: -Infinity,
    bestEpoch: 0,
    plateau: { lr: cfg.lr, best: -Infinity, badEpochs: 0 },
    epochsWithoutImprovement: 0,
    history: [],
    seconds: 0,
    averageMembers: 0,
  };
}

/**
 * Stage 2 starts from stage 1's best weights, which are its epoch-0 candidate (same weights, same
 * validation score): fine-tuning keeps them unless an epoch scores strictly higher, and the plateau
 * schedule counts from that score.
 */
export function startFromStage1Best(state: StageState, stage1BestValScore: number): StageState {
  return { ...state, bestValScore: stage1BestValScore, plateau: { ...state.plateau, best: stage1BestValScore } };
}

/** The learning rate of 0-based `epoch`: the plateau schedule's current lr, SGDR's cosine, or constant. */
export function learningRate(cfg: StageConfig, state: StageState, epoch: number): number {
  switch (cfg.schedule.kind) {
    case 'plateau':
      return state.plateau.lr;
    case 'cosine':
      return cosineLr(epoch, cfg.epochs, cfg.schedule.cycles, cfg.lr, cfg.schedule.minLr);
    case 'constant':
      return cfg.lr;
  }
}

export interface EpochOutcome {
  state: StageState;
  /** The epoch's weights score strictly higher than any before: they are the stage's best. */
  improved: boolean;
  /** The epoch ends a cosine cycle of stage 2: its weights are a snapshot (Huang et al. 2017). */
  snapshot: boolean;
  /** Early stopping: `earlyStoppingPatience` (> 0) epochs in a row without a better validation score. */
  stop: boolean;
}

/** Folds one finished epoch (its row of the curve) into the state, and says what to keep. */
export function afterEpoch(state: StageState, row: EpochRow, stage: Stage, cfg: StageConfig): EpochOutcome {
  const epoch = row.epoch - 1;
  const improved = row.val_score > state.bestValScore;
  const next: StageState = {
    epoch,
    bestValScore: improved ? row.val_score : state.bestValScore,
    bestEpoch: improved ? row.epoch : state.bestEpoch,
    plateau: cfg.schedule.kind === 'plateau' ? plateauStep(state.plateau, row.val_score, cfg.schedule.factor, cfg.schedule.patience, cfg.schedule.minLr) : state.plateau,
    epochsWithoutImprovement: improved ? 0 : state.epochsWithoutImprovement + 1,
    history: [...state.history, row],
    seconds: state.seconds + row.seconds,
    averageMembers: state.averageMembers,
  };
  const snapshot = stage === 2 && cfg.schedule.kind === 'cosine' && isCycleEnd(epoch, cfg.epochs, cfg.schedule.cycles);
  const stop = cfg.earlyStoppingPatience > 0 && next.epochsWithoutImprovement >= cfg.earlyStoppingPatience;
  return { state: next, improved, snapshot, stop };
}

/**
 * The console line of an epoch: the curve's names and values, the validation score followed by its
 * metric's label (`val_score 0.8123 (mAP)`), `(best)` when its weights were kept.
 */
export function epochLine(fold: number, epochs: number, row: EpochRow, best: boolean, metric: MetricName = 'tgs-map'): string {
  return (
    `fold ${fold} stage ${row.stage} epoch ${row.epoch}/${epochs}: loss ${row.loss.toFixed(4)} val_loss ${row.val_loss.toFixed(4)} ` +
    `val_score ${row.val_score.toFixed(4)} (${metricInfo(metric).label}) lr ${row.lr.toExponential(2)} seconds ${row.seconds.toFixed(1)}${best ? ' (best)' : ''}`
  );
}
