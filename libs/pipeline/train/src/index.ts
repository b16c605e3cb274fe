export { trainFold, splitFold, stageDir, bestModelDir, foldResultPath, foldFingerprint, stageLogPaths, curvesCsv, CURVE_COLUMNS, snapshotDir, snapshotDirs } from './train-fold';
export type { TrainFoldInput, FoldTrainResult, StageResult, EpochRow } from './train-fold';
export { forwardLogits, imagesToTensor, trainingBatch } from './batches';
export type { TtaPair, LogitsModel } from './batches';
export { hflip, brightnessContrast, shiftScale, reflectIndex, augmentSample } from './augment';
export type { AugmentConfig } from './augment';
export { cosineLr, isCycleEnd, plateauStep } from './schedule';
export type { PlateauState } from './schedule';
