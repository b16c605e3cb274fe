// What a web page may import from @segkit/models (tfjs and zod only, no file system): the demo's
// bundler resolves @segkit/models here instead of ./index.ts.
export { toModelInput, forwardLogits, identityTta, hflipTta, ttaPairs } from './lib/inference';
export type { TtaPair, LogitsModel, ForwardOptions } from './lib/inference';
export { inferenceModel, inferenceSpecSchema, specChannels } from './lib/inference-spec';
export type { InferenceModel, InferenceSpec } from './lib/inference-spec';
