export { ensembleFolds, ensemblePaths, readIdsFile } from './ensemble';
export type { EnsembleInput, EnsembleMeta } from './ensemble';
export { combineLogits } from './combine';
export type { EnsembleMode } from './combine';
