export { coverageClass, foldItems, makeFolds, assignTrainFolds, foldSizes } from './folds';
export type { FoldItem, FoldOptions, Stratify } from './folds';
export { readFoldsCsv, writeFoldsCsv, readRunFolds, writeRunFolds } from './csv';
