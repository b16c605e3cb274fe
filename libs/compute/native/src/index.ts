export { nativeAddon, loadAddon, ADDON_PATH, BUILD_STATUS_PATH, INSTALL_HINT } from './addon';
export type { NativeAddon, AddonState } from './addon';
export { nativeKernelFuncs, NATIVE_KERNEL_NAMES, nativeKernelCalls, fusedBatchNormGrad, BATCH_NORM_GRAD, reluGrad, RELU_GRAD, adamUpdate, adamUpdateApplies, ADAM_UPDATE, batchNormTrain, batchNormTrainGrad, batchNormTrainApplies, BATCH_NORM_TRAIN, BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels';
export type { AdamAttrs } from './kernels';
export type { FallbackLookup } from './kernels';
export { nativeKernelStatus, setNativeThreads, resolveThreads, splitCores, threadSpeedup, PARALLEL_SHARE, leaseNativeCores } from './status';
export { coreShare } from './lease';
export type { CoreLease } from './lease';
export type { NativeKernelStatus } from './status';
