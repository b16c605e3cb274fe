// What a web page may import from @segkit/infer (no file system): the bundle's schemas and the
// inference `npm run infer` runs. The demo's bundler resolves @segkit/infer here instead of ./index.ts.
export { bundleSchema, manifestSchema, bundleModelPath, BUNDLE_JSON, MANIFEST_JSON, CONFIG_JSON, SUBMISSION_FALLBACK } from './bundle-schema';
export type { BundleInfo, BundleManifest } from './bundle-schema';
export { bundleTtas, modelMismatch, ensembleLogits, ensembleLogitsAndGate, bundleMask, bundleImage } from './predict';
