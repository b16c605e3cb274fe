export { coverageClass, foldItems, makeFolds, assignTrainFolds, foldSizes, splitFold, groupsOf } from './folds';
export type { FoldItem, FoldOptions, Stratify } from './folds';
export { readFoldsCsv, writeFoldsCsv, readRunFolds, writeRunFolds } from './csv';
