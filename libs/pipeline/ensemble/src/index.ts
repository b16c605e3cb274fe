export { ensembleFolds, ensemblePaths, readIdsFile } from './ensemble';
export type { EnsembleInput, EnsembleMeta } from './ensemble';
export { combineLogits, sigmoid, logit } from './combine';
export type { EnsembleMode } from './combine';
