// What a web page may import from @segkit/ensemble (no file system): the demo's bundler resolves
// @segkit/ensemble here instead of ./index.ts.
export { combineLogits } from './combine';
export type { EnsembleMode } from './combine';
