export { blendLogits, simplexGrid, simplexGridSize, tuneBlendWeights } from './weights';
export type { WeightSearchOptions } from './weights';
export { blendExperiments, blendPaths, writeBlendReport } from './blend';
export type { BlendInput, BlendMemberInput, BlendRecord } from './blend';
