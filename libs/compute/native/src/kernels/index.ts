export { nativeKernelFuncs, NATIVE_KERNEL_NAMES, nativeKernelCalls, setBeforeKernel } from './register';
export type { FallbackLookup } from './register';
export { fusedBatchNormGrad, BATCH_NORM_GRAD } from './batch-norm-grad';
export { broadcastMode } from './broadcast';
