// What a web page may import from @tgs/data (no file system, no sharp): the demo's bundler
// resolves @tgs/data here instead of ./index.ts.
export { luminanceFromSamples, pngHeader } from './pixels';
