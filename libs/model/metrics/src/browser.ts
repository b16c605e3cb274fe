// What a web page may import from @segkit/metrics: the demo's bundler resolves @segkit/metrics here
// instead of ./index.ts.
export { sigmoid, logit, LOGIT_EPS } from './logit';
