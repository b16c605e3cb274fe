import * as tf from '@tensorflow/tfjs';
import { foldBatchNormLayers, foldBatchNormWeights, foldedConvWeights, type InboundRef, type LayerJson } from './fold-batch-norm';
import { batchNormalization } from '@segkit/backend';
import { expectNoTensorLeak, moveBatchNormWeights } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('foldBatchNormWeights', () => {
  // Two output channels, a 1×1×1 kernel. By hand: s = γ/√(σ²+ε) = [2/√4, 0.5/√1] = [1, 0.5];
  // W' = W·s = [2, 1.5]; b' = (b − μ)·s + β.
  const bn = { gamma: Float32Array.of(2, 0.5), beta: Float32Array.of(1, -1), mean: Float32Array.of(1, 3), variance: Float32Array.of(3, 0), epsilon: 1 };

  it('without a bias: b′ = −μ·s + β (by hand)', () => {
    const { kernel, bias } = foldBatchNormWeights(Float32Array.of(2, 3), undefined, bn);
    expect([...kernel]).toEqual([2, 1.5]);
    expect([...bias]).toEqual([0, -2.5]);
  });

  it('with a bias: b′ = (b − μ)·s + β (by hand)', () => {
    const { bias } = foldBatchNormWeights(Float32Array.of(2, 3), Float32Array.of(1, 1), bn);
    expect([...bias]).toEqual([1, -2]);
  });

  it('scale and centre absent mean γ = 1, β = 0; the output channel is the fastest kernel axis', () => {
    // kernel [1, 1, 2 in, 2 out] = [[a0, a1], [b0, b1]]: both inputs' weights to channel o scale by s_o.
    const { kernel, bias } = foldBatchNormWeights(Float32Array.of(1, 2, 3, 4), undefined, { mean: Float32Array.of(0, 2), variance: Float32Array.of(0, 3), epsilon: 1 });
    expect([...kernel]).toEqual([1, 1, 3, 2]);
    expect([...bias]).toEqual([0, -1]);
  });

  it('a kernel that is not whole output channels is refused', () => {
    expect(() => foldBatchNormWeights(Float32Array.of(1, 2, 3), undefined, bn)).toThrow(/3 kernel values, 2 channels/);
  });
});

/** A functional model: conv a → BN → ReLU (foldable), conv b read twice → BN (not), conv c → Add → BN (not). */
function graph(): tf.LayersModel {
  const input = tf.input({ shape: [6, 5, 2] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const conv = (name: string) => tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, name, kernelInitializer: tf.initializers.glorotUniform({ seed: name.length }) });
  const a = apply(tf.layers.activation({ activation: 'relu', name: 'a_relu' }), apply(batchNormalization({ axis: -1, name: 'a_bn' }), apply(conv('a'), input)));
  const b = apply(conv('bb'), a);
  const bNorm = apply(batchNormalization({ axis: -1, name: 'b_bn' }), b);
  const c = apply(conv('ccc'), bNorm);
  const sum = apply(tf.layers.add({ name: 'add' }), [c, b]);
  const out = apply(batchNormalization({ axis: -1, name: 'add_bn' }), sum);
  const model = tf.model({ inputs: input, outputs: out });
  moveBatchNormWeights(model, 0.9, 7);
  return model;
}

describe('foldBatchNormLayers', () => {
  it('folds conv → BN → ReLU into one convolution, and leaves a BN after a conv read twice or after an Add', () => {
    const model = graph();
    const topology = JSON.parse(JSON.stringify(model.toJSON(null, false))) as { config: { layers: LayerJson[]; output_layers: InboundRef[] } };
    const { layers, folds } = foldBatchNormLayers(topology.config.layers, topology.config.output_layers);
    expect(folds).toEqual([{ conv: 'a', batchNorm: 'a_bn', relu: 'a_relu' }]);
    expect(layers.map((l) => l.name)).not.toContain('a_bn');
    expect(layers.map((l) => l.name)).not.toContain('a_relu');
    const a = layers.find((l) => l.name === 'a') as LayerJson;
    expect(a.config['use_bias']).toBe(true);
    expect(a.config['activation']).toBe('relu');
    expect((layers.find((l) => l.name === 'bb') as LayerJson).inbound_nodes[0][0][0]).toBe('a');
    model.dispose();
  });

  it('the folded model computes the inference-mode graph (a second method: tfjs runs both)', async () => {
    await expectNoTensorLeak(async () => {
      const model = graph();
      const topology = JSON.parse(JSON.stringify(model.toJSON(null, false))) as { config: { layers: LayerJson[]; output_layers: InboundRef[] } };
      const { layers, folds } = foldBatchNormLayers(topology.config.layers, topology.config.output_layers);
      topology.config.layers = layers;
      const folded = (await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] })) as tf.LayersModel;
      for (const layer of folded.layers) {
        const fold = folds.find((f) => f.conv === layer.name);
        const ws = fold ? foldedConvWeights(model, fold) : model.getLayer(layer.name).getWeights();
        layer.setWeights(ws);
        if (fold) tf.dispose(ws);
      }
      const x = tf.randomUniform([2, 6, 5, 2], -1, 1, 'float32', 3);
      const [want, got] = [model.predict(x) as tf.Tensor, folded.predict(x) as tf.Tensor];
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0]);
      expect(scale).toBeGreaterThan(0.1);
      expect(diff).toBeLessThan(1e-5 * scale);
      tf.dispose([x, want, got]);
      model.dispose();
      folded.dispose();
    });
  });
});
