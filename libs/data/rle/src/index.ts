export { encodeRle, decodeRle, decodeRleInto, RleError } from './rle';
export type { PixelOrder, RleStarts } from './rle';
export { KAGGLE_RLE, encodeRleAs, decodeRleAs, decodeRleAsInto, isEmptyRle } from './flavour';
export type { RleFlavour } from './flavour';
