export { blendLogits, simplexGrid, simplexGridSize, tuneBlendWeights } from './weights';
export type { WeightSearchOptions } from './weights';
