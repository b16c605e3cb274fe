export { defaultUnetConfig, defaultPadTo, padAmounts, resolveUnetConfig } from './lib/config';
export type { UnetConfig, ResolvedUnetConfig } from './lib/config';
export { buildUnet, countParams, getUnetConfig } from './lib/unet';
export { ReflectionPad2D, reflectionPad2d } from './lib/reflection-pad';
export type { Padding2D, ReflectionPad2DArgs } from './lib/reflection-pad';
export { stripSigmoid, LinearView } from './lib/strip-sigmoid';
export type { LinearViewArgs } from './lib/strip-sigmoid';
export { saveModel, loadModel } from './lib/model-io';
export { toModelInput } from './lib/input';
