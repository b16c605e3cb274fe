export { encodeRle, decodeRle, decodeRleInto, RleError } from './rle';
export type { PixelOrder } from './rle';
