export { trainFold, bestModelDir, foldResultPath } from './train-fold';
export { stageOutputDir } from './stage';
export { emaDecay, emaStep, swaStep, recomputeBatchNorm, averagingKind, isSwaMember, WeightAverage } from './averaging';
export type { AveragingKind } from './averaging';
export type { TrainFoldInput } from './train-fold';
export { stageFingerprint, trainDataHash, pseudoDataHash } from './fingerprint';
export {
  readFoldResult,
  readWeightsFingerprint,
  readStageDone,
  readStageFingerprint,
  readStageValLogits,
  snapshotDirs,
  curvesCsv,
  CURVE_COLUMNS,
  epochRowSchema,
  stageResultSchema,
  foldTrainResultSchema,
} from './artifacts';
export type { FoldTrainResult, StageResult, EpochRow } from './artifacts';
export { trainingBatch, TrainingCrop } from './batches';
export { hflip, brightnessContrast, shiftScale, reflectIndex, augmentSample } from './augment';
export type { AugmentConfig } from './augment';
export { cosineLr, isCycleEnd, plateauStep } from './schedule';
export type { PlateauState } from './schedule';
