export { writeBundle, readBundle, bundleSchema, bundleModelPath, BUNDLE_JSON, MANIFEST_JSON, CONFIG_JSON } from './bundle';
export type { Bundle, BundleInfo, WriteBundleInput } from './bundle';
export { inferImages, loadImageFolder } from './infer';
export type { InferInput, InferResult } from './infer';
export { bundleRun } from './bundle-run';
export type { BundleRunInput } from './bundle-run';
