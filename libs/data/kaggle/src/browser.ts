// What a web page may import from @segkit/data (no file system, no sharp): the demo's bundler
// resolves @segkit/data here instead of ./index.ts.
export { luminanceFromSamples, pngHeader, rgbFromSamples } from './pixels';
export { decodePng } from './png-decoder';
export type { ImageSamples, Inflate } from './png-decoder';
export { decodeDicom } from './dicom';
export type { DicomPixels } from './dicom';
