export { parsePth } from './lib/pth';
export { parseSafetensors } from './lib/safetensors';
export { halfToFloat, bfloat16ToFloat } from './lib/tensor-data';
export type { StateDict, WeightTensor, WeightDtype } from './lib/tensor-data';
export { readWeightsFile, fileSha256, stripPrefixes, matchStateDict } from './lib/weights-file';
export type { WeightsFile, ExpectedTensor } from './lib/weights-file';
export { resnetEncoder, imagenetInput, RESNETS, ENCODER_NAMES, ENCODER_PREFIX, ENCODER_STRIDE, IMAGENET_LAYER, IMAGENET_MEAN, IMAGENET_STD } from './lib/resnet';
export type { ResnetName, ResnetEncoderOptions, EncoderTaps } from './lib/resnet';
export { encoderTensorNames, setEncoderWeights, loadEncoderWeights, isClassifierTensor } from './lib/encoder-weights';
