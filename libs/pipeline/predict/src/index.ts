export { predictFold, loadFoldModels, predictionFingerprint, imagesHash } from './predict-fold';
export type { PredictFoldInput } from './predict-fold';
export { predictionPaths, readPredictionMeta, readPredictionMetaIfAny, predictionMetaSchema, readFoldOof, openFoldTest, writeFoldGate, readFoldGate } from './artifacts';
export type { PredictionMeta } from './artifacts';
