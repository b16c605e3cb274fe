export { tuneThreshold, linspace } from './tune';
export type { TuneOptions, TuneResult, TuneScoring, ThresholdPoint } from './tune';
export { bestTriplet, tripletMeanScores, tripletPerImage } from './triplet';
export type { TripletPoint } from './triplet';
export { assessHealth, firstDifferentMask } from './health';
export type { HealthInput, HealthWarning } from './health';
export { tuneOof, tuneRecordSchema, tuneRecordPath, readTuneRecord, writeTuneRecord } from './record';
export type { TuneOofInput, TuneRecord } from './record';
export { truthObjectsFromRows } from './objects';
