export { setupBackend, parseBackendChoice, resolveBackendChoice, BACKEND_CHOICES } from './select';
export type { BackendChoice, BackendInfo, SetupBackendOptions } from './select';
export { activateWasm, wasmBinaryDir } from './wasm';
export { registerWasmTrainingKernels, wasmTrainingKernelsRegistered, WASM_TRAINING_KERNELS } from './kernels/register';
export { fileSystemIO, saveLayersModel, loadLayersModel, MODEL_JSON, WEIGHTS_BIN } from './model-io';
export { saveTensors, loadTensors } from './tensor-file';
export { buildReferenceUnet, referenceTrainStep } from './reference-unet';
export type { ReferenceUnetOptions } from './reference-unet';
export { registerTrainingGradients, TRAINING_GRADIENTS } from './gradients/register';
