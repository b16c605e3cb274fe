/**
 * Learning-rate schedules, as pure functions of the epoch and a small state that is checkpointed
 * with the model, so a resumed stage continues the same schedule.
 */

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017), per epoch:
 * with T = ceil(epochs / cycles) and t = epoch mod T, lr = minLr + ½(lr0 − minLr)(1 + cos(π·t/T)).
 */
export function cosineLr(epoch: number, epochs: number, cycles: number, lr0: number, minLr: number): number {
  const period = Math.max(1, Math.ceil(epochs / cycles));
  const t = epoch % period;
  return minLr + 0.5 * (lr0 - minLr) * (1 + Math.cos((Math.PI * t) / period));
}

/** True when `epoch` is the last epoch of a cosine cycle: its weights are a snapshot. */
export function isCycleEnd(epoch: number, epochs: number, cycles: number): boolean {
  const period = Math.max(1, Math.ceil(epochs / cycles));
  return (epoch + 1) % period === 0 || epoch === epochs - 1;
}

export interface PlateauState {
  lr: number;
  best: number;
  badEpochs: number;
}

/**
 * Reduce-on-plateau on a score to maximise (validation mAP): after `patience` epochs without a
 * strictly better score, lr ← max(lr·factor, minLr) and the count restarts.
 */
export function plateauStep(state: PlateauState, score: number, factor: number, patience: number, minLr: number): PlateauState {
  if (score > state.best) return { lr: state.lr, best: score, badEpochs: 0 };
  const bad = state.badEpochs + 1;
  if (bad > patience) return { lr: Math.max(state.lr * factor, minLr), best: state.best, badEpochs: 0 };
  return { lr: state.lr, best: state.best, badEpochs: bad };
}
