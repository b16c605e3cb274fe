/**
 * What the Nx plugin (tools/nx/*.cjs) and its fingerprint input use of the workspace's TypeScript,
 * as one entry point: tools/run/bundled.cjs loads it from one bundle, so each of the many short
 * processes Nx starts for a run (the plugin, one fingerprint per step) loads it in a few tens of
 * milliseconds. `dataParts` comes from its own module, without the decoders of @segkit/kaggle.
 */
export * as io from '@segkit/io';
export * as run from '@segkit/run';
export * as config from '@segkit/config';
export { dataParts } from '../../libs/data/kaggle/src/parts';
