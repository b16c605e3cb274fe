/** `@segkit/backend/testing`: switching backends in specs of the libraries above this one. */
export { useBackend, WASM_VARIANTS } from './backends';
export type { TestBackend } from './backends';
