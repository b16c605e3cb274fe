/** Convolution and pooling geometries as the addon reads them (positions from ../abi). */
import * as tf from '@tensorflow/tfjs';
import { CONV_GEOMETRY, CONV_GEOMETRY_LENGTH, POOL_GEOMETRY, POOL_GEOMETRY_LENGTH } from '../abi';

type Pad = tf.Conv2DAttrs['pad'];
type Rounding = tf.Conv2DAttrs['dimRoundingMode'];

/** tfjs's convolution info and the addon's Int32Array of it. */
export function convGeometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dilations: number | [number, number],
  dimRoundingMode: Rounding,
): { info: tf.backend_util.Conv2DInfo; geometry: Int32Array } {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const g = new Int32Array(CONV_GEOMETRY_LENGTH);
  const p = info.padInfo;
  const at = CONV_GEOMETRY;
  g[at.batch] = info.batchSize;
  g[at.inHeight] = info.inHeight;
  g[at.inWidth] = info.inWidth;
  g[at.inChannels] = info.inChannels;
  g[at.filterHeight] = info.filterHeight;
  g[at.filterWidth] = info.filterWidth;
  g[at.outChannels] = info.outChannels;
  g[at.outHeight] = info.outHeight;
  g[at.outWidth] = info.outWidth;
  g[at.strideHeight] = info.strideHeight;
  g[at.strideWidth] = info.strideWidth;
  g[at.dilationHeight] = info.dilationHeight;
  g[at.dilationWidth] = info.dilationWidth;
  g[at.padTop] = p.top;
  g[at.padLeft] = p.left;
  g[at.padBottom] = p.bottom;
  g[at.padRight] = p.right;
  return { info, geometry: g };
}

/** tfjs's pooling info and the addon's Int32Array of it. */
export function poolGeometry(
  xShape: number[],
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): { info: tf.backend_util.Conv2DInfo; geometry: Int32Array } {
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const g = new Int32Array(POOL_GEOMETRY_LENGTH);
  const at = POOL_GEOMETRY;
  g[at.batch] = info.batchSize;
  g[at.inHeight] = info.inHeight;
  g[at.inWidth] = info.inWidth;
  g[at.channels] = info.inChannels;
  g[at.outHeight] = info.outHeight;
  g[at.outWidth] = info.outWidth;
  g[at.filterHeight] = info.filterHeight;
  g[at.filterWidth] = info.filterWidth;
  g[at.strideHeight] = info.strideHeight;
  g[at.strideWidth] = info.strideWidth;
  g[at.padTop] = info.padInfo.top;
  g[at.padLeft] = info.padInfo.left;
  return { info, geometry: g };
}
