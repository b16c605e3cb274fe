// What a web page may import from @tgs/metrics: the demo's bundler resolves @tgs/metrics here
// instead of ./index.ts.
export { sigmoid, logit, LOGIT_EPS } from './logit';
