// What a web page may import from @segkit/layouts (zod only, no file system): the descriptor's
// schemas and the id ↔ file-name rules. The demo's bundler resolves @segkit/layouts here instead of
// ./index.ts (whose table of built-in layouts raises @segkit/io's errors).
export { METRIC_NAMES, rleFlavourSchema, imageFilesSchema, submissionFormatSchema } from './descriptor';
export type { MetricName, RleFlavourSpec, ImageFiles, SubmissionFormat } from './descriptor';
export { templateRegExp, fillTemplate, stemOf, idOfStem, stemOfId } from './names';
