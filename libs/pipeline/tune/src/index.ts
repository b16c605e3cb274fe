export { tuneThreshold, probToLogit, logitToProb, linspace } from './tune';
export type { TuneOptions, TuneResult, ThresholdPoint } from './tune';
