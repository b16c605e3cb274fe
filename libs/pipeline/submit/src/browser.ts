// What a web page may import from @segkit/submit (no file system): the demo's bundler resolves
// @segkit/submit here instead of ./index.ts.
export { binarize, gateSaysEmpty, maskRow } from './postprocess';
