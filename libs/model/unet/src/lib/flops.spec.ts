import * as tf from '@tensorflow/tfjs';
import { buildUnet } from './unet';
import { forwardConvFlops } from './flops';

describe('forwardConvFlops', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('counts 2·k²·Cin·Cout per output pixel of a convolution and per input pixel of a transposed one (by hand)', () => {
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [8, 8, 1] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor; // 8×8×4
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }).apply(a) as tf.SymbolicTensor; // 3×3×3
    const c = tf.layers.batchNormalization().apply(b) as tf.SymbolicTensor;
    const d = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }).apply(c) as tf.SymbolicTensor; // 6×6×2
    const model = tf.model({ inputs: input, outputs: d });
    // 2·9·1·4·64 = 4608; 2·9·4·3·9 = 1944; 2·4·3·2·9 (the transposed one's 3×3 input) = 432.
    expect(forwardConvFlops(model)).toBe(4608 + 1944 + 432);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("counts a U-Net's forward pass: 2·k²·Cin·Cout·H·W summed over its levels (by hand)", () => {
    const model = buildUnet({ depth: 2, baseFilters: 2, batchNorm: true, padTo: 16, inputHeight: 16, inputWidth: 16, seed: 1 });
    // Depth 2, 2 base filters, 16×16 (no padding): encoder 1→2, 2→2 at 16², 2→4, 4→4 at 8²; bottleneck
    // 4→8, 8→8 at 4²; up 8→4 (2×2, 4² input), decoder 8→4, 4→4 at 8²; up 4→2 (8² input), 4→2, 2→2 at 16²; head 2→1 (1×1) at 16².
    const conv = (cin: number, cout: number, hw: number, k = 3) => 2 * k * k * cin * cout * hw * hw;
    const expected =
      conv(1, 2, 16) + conv(2, 2, 16) + conv(2, 4, 8) + conv(4, 4, 8) + conv(4, 8, 4) + conv(8, 8, 4) +
      conv(8, 4, 4, 2) + conv(8, 4, 8) + conv(4, 4, 8) + conv(4, 2, 8, 2) + conv(4, 2, 16) + conv(2, 2, 16) + conv(2, 1, 16, 1);
    expect(forwardConvFlops(model)).toBe(expected);
    model.dispose();
  });
});
