import * as tf from '@tensorflow/tfjs';

/**
 * Multiply-add FLOPs (2 per multiply-add) of one image's forward pass through a model's
 * convolutions: a `Conv2D` layer costs 2·kh·kw·Cin·Cout·Hout·Wout, a `Conv2DTranspose` layer
 * 2·kh·kw·Cin·Cout·Hin·Win (every input pixel scatters a kh×kw×Cout patch). Elementwise layers
 * (BatchNorm, ReLU, pooling, concatenation, padding, the 1×1 head's bias) are left out: they cost
 * O(H·W·C), the convolutions O(k²·Cin·Cout·H·W). A training step costs about 3× this per image
 * (the forward pass, the data gradient and the weight gradient are each one convolution's work).
 */
export function forwardConvFlops(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      total += forwardConvFlops(layer);
      continue;
    }
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Conv2DTranspose') continue;
    // [kh, kw, in, out] (a transposed convolution's: [kh, kw, out, in]); the product is the same.
    const kernel = layer.getWeights()[0].shape;
    const spatial = (cls === 'Conv2D' ? layer.outputShape : (layer.input as tf.SymbolicTensor).shape) as number[];
    total += 2 * spatial[1] * spatial[2] * kernel.reduce((a, d) => a * d, 1);
  }
  return total;
}
