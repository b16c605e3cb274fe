export { writeSubmission, validateSubmission, maskRow } from './submission';
export type { SubmissionInput, SubmissionSummary } from './submission';
export { binarize } from './postprocess';
