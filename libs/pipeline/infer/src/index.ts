export { writeBundle, readBundle } from './bundle';
export type { Bundle, WriteBundleInput } from './bundle';
export { bundleSchema, manifestSchema, bundleModelPath, BUNDLE_JSON, MANIFEST_JSON, CONFIG_JSON, SUBMISSION_FALLBACK } from './bundle-schema';
export type { BundleInfo, BundleManifest } from './bundle-schema';
export { bundleTtas, modelMismatch, ensembleLogits, ensembleLogitsAndGate, bundleMask, bundleImage } from './predict';
export { inferImages, loadImageFolder } from './infer';
export type { InferInput, InferResult } from './infer';
export { bundleRun, CROP_BUNDLE_REFUSAL } from './bundle-run';
export type { BundleRunInput } from './bundle-run';
