// What a web page may import from @tgs/submit (no file system): the demo's bundler resolves
// @tgs/submit here instead of ./index.ts.
export { binarize, maskRow } from './postprocess';
