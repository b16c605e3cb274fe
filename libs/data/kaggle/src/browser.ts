// What a web page may import from @segkit/data (no file system, no sharp): the demo's bundler
// resolves @segkit/data here instead of ./index.ts.
export { luminanceFromSamples, pngHeader } from './pixels';
