export type { ImageSet, TrainSet, LoadOptions } from './types';
export { loadTrainSet, loadTestSet, readSampleSubmissionIds, readDepths } from './load';
export { checkLayout, kaggleLayout, listPngIds } from './layout';
export type { KaggleLayout } from './layout';
export { decodeLuminance, decodeMask } from './png';
export type { DecodedPlane } from './png';
export { maskCoverage } from './coverage';
export { checkImageSizes, pngSize } from './sizes';
export type { ImageSize } from './sizes';
