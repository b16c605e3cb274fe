// What a web page may import from @tgs/ensemble (no file system): the demo's bundler resolves
// @tgs/ensemble here instead of ./index.ts.
export { combineLogits } from './combine';
export type { EnsembleMode } from './combine';
