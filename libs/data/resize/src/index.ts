export { axisWeights, resizePlane, resizeImageBytes, resizeMask, resizeLogits } from './resize';
export type { AxisWeights } from './resize';
export { appendMaskRuns, MaskRunsBuilder, unpackMaskRuns, maskRunsBytes } from './mask-runs';
export type { MaskRuns } from './mask-runs';
export { describeInput, modelSize, resolveCrop, resolveInput, INPUT_MODES } from './input';
export type { InputSettings, InputMode, InputSection } from './input';
export { tileStarts, tileOrigins, blendWindow, cropTile, TileBlender, cropOrigin } from './tiles';
