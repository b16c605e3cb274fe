export { ensembleFolds } from './ensemble';
export type { EnsembleInput } from './ensemble';
export { ensemblePaths, ensembleMetaSchema, readEnsembleMeta, readEnsembleOof, ensembleTestPath, readEnsembleTest, writeEnsembleMeta, readEnsembleGate } from './artifacts';
export type { EnsembleMeta } from './artifacts';
export { combineLogits } from './combine';
export type { EnsembleMode } from './combine';
