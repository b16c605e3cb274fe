export { coverageClass, foldItems, makeFolds } from './folds';
export type { FoldItem, FoldOptions, Stratify } from './folds';
export { readFoldsCsv, writeFoldsCsv } from './csv';
