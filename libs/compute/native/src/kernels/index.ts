export { nativeKernelFuncs, NATIVE_KERNEL_NAMES, nativeKernelCalls, setBeforeKernel } from './register';
export type { FallbackLookup } from './register';
export { fusedBatchNormGrad, BATCH_NORM_GRAD } from './batch-norm-grad';
export { broadcastMode } from './broadcast';
export { reluGrad, RELU_GRAD } from './relu-grad';
export { adamUpdate, adamUpdateApplies, ADAM_UPDATE } from './adam';
export type { AdamAttrs } from './adam';
export { leadingRepeat } from './tile';
export { batchNormTrain, batchNormTrainGrad, batchNormTrainApplies, BATCH_NORM_TRAIN, BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN_GRAD } from './batch-norm-train';
