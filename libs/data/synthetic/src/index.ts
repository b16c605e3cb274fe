export { generateSynthetic, DEFAULT_SIZE } from './generate';
export type { SyntheticOptions, SyntheticSummary } from './generate';
export { renderSample, saltProbability, MIN_DEPTH, MAX_DEPTH } from './render';
export type { SyntheticSample } from './render';
export { ensureSynthetic, readSyntheticStamp, syntheticStampPath } from './ensure';
export type { EnsureSyntheticOptions, SyntheticStamp } from './ensure';
export { encodeDicom } from './dicom';
export type { DicomImage } from './dicom';
