// What a web page may import from @segkit/io (no file system): the user-error class, so code shared
// with the page (e.g. @segkit/data's decoders) reports bad input the same way there. The demo's
// bundler resolves @segkit/io here instead of ./index.ts.
export { UserError } from './user-error';
