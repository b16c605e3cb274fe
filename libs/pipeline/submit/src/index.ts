export { writeSubmission, validateSubmission, readRleRows, scoreSubmission, SubmissionLines } from './submission';
export type { SubmissionInput, RleRow } from './submission';
export { submissionPaths, submissionSummarySchema, readSubmissionSummary, writeSubmissionSummary } from './artifacts';
export type { SubmissionSummary } from './artifacts';
export { submitRun, checkSampleIds } from './submit';
export type { SubmitRunInput } from './submit';
export { binarize, gateSaysEmpty, maskRow } from './postprocess';
export { csvField, checkSubmissionFormat, submissionHeader, submissionLine, maskFields, rleArea } from './format';
