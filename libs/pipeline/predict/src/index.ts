export { predictFold, predictionPaths, loadFoldModels } from './predict-fold';
export type { PredictFoldInput, PredictionMeta } from './predict-fold';
export { identityTta, hflipTta, ttaPairs } from './tta';
