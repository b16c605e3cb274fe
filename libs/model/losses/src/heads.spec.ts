import * as tf from '@tensorflow/tfjs';
import { bceWithLogits } from './bce';
import { headsLoss } from './heads';
import { expectNoLeak, useBackend } from './testing';

// Three 1×2 images: image 0 empty, image 1 half salt, image 2 all salt.
const LABELS = [0, 0, 1, 0, 1, 1];
const LOGITS = [2, 0, 0, 0, 0, Math.log(3)];
const LN2 = Math.LN2;
/** By hand: BCE(x, y) = log(1 + e^−x) for y = 1, log(1 + e^x) for y = 0. */
const BCE_NON_EMPTY = (3 * LN2 + Math.log(4 / 3)) / 4; // images 1, 2: three pixels at x = 0, one at x = ln 3 with y = 1
const BCE_ALL = (Math.log(1 + Math.exp(2)) + 4 * LN2 + Math.log(4 / 3)) / 6;

function run(opts: { gateWeight: number; auxWeight: number; nonEmptyOnly: boolean }, withGate: boolean, withAux: boolean) {
  const y = tf.tensor4d(LABELS, [3, 1, 2, 1]);
  const x = tf.tensor4d(LOGITS, [3, 1, 2, 1]);
  const g = tf.zeros([3, 1]);
  const a = tf.zeros([3, 1, 2, 1]);
  const loss = headsLoss(bceWithLogits, opts);
  // Gradients with respect to the outputs the loss is given: [logits, gate?, aux?].
  const inputs = [x, ...(withGate ? [g] : []), ...(withAux ? [a] : [])];
  const f = (...ts: tf.Tensor[]) => loss(y, { logits: ts[0], ...(withGate ? { gate: ts[1] } : {}), aux: withAux ? [ts[ts.length - 1]] : [] });
  const { value, grads } = tf.valueAndGrads(f)(inputs);
  const data = (t: tf.Tensor | undefined) => (t === undefined ? [] : Array.from(t.dataSync()));
  const out = { value: value.dataSync()[0], dx: data(grads[0]), dg: withGate ? data(grads[1]) : [], da: withAux ? data(grads[grads.length - 1]) : [] };
  tf.dispose([y, x, g, a, value, ...grads]);
  return out;
}

describe.each(['cpu', 'wasm'] as const)('headsLoss on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('gate, non-empty only: seg over images 1 and 2 + w · BCE(gate, has mask); image 0 gets no pixel gradient', () => {
    expectNoLeak(() => {
      const r = run({ gateWeight: 0.5, auxWeight: 0.1, nonEmptyOnly: true }, true, false);
      expect(r.value).toBeCloseTo(BCE_NON_EMPTY + 0.5 * LN2, 5);
      expect(r.dx.slice(0, 2)).toEqual([0, 0]);
      expect(r.dx.slice(2).every((d) => d !== 0)).toBe(true);
      // d/dg of 0.5 · mean_i BCE(g_i, t_i) = 0.5 · (σ(0) − t_i) / 3, t = [0, 1, 1].
      [1 / 12, -1 / 12, -1 / 12].forEach((v, i) => expect(r.dg[i]).toBeCloseTo(v, 6));
    });
  });

  it('gate, every image: seg over the whole batch', () => {
    expectNoLeak(() => {
      const r = run({ gateWeight: 0.5, auxWeight: 0, nonEmptyOnly: false }, true, false);
      expect(r.value).toBeCloseTo(BCE_ALL + 0.5 * LN2, 5);
      expect(r.dx[0]).toBeCloseTo((1 / (1 + Math.exp(-2))) / 6, 6);
    });
  });

  it('deep supervision: + w · the mean of the aux outputs’ seg losses, over the same images', () => {
    expectNoLeak(() => {
      const r = run({ gateWeight: 0.5, auxWeight: 0.1, nonEmptyOnly: true }, true, true);
      // The aux logits are 0: every pixel costs ln 2.
      expect(r.value).toBeCloseTo(BCE_NON_EMPTY + 0.1 * LN2 + 0.5 * LN2, 5);
      expect(r.da.slice(0, 2)).toEqual([0, 0]);
      // d/da of 0.1 · mean over 4 pixels of BCE(0, y) = 0.1 · (0.5 − y) / 4.
      [-1, 1, -1, -1].forEach((s, i) => expect(r.da[2 + i]).toBeCloseTo((0.1 * 0.5 * s) / 4, 6));
      const noGate = run({ gateWeight: 0.5, auxWeight: 0.1, nonEmptyOnly: true }, false, true);
      // Without a gate every image keeps its pixel loss (nonEmptyOnly needs a gate to decide emptiness).
      expect(noGate.value).toBeCloseTo(BCE_ALL + 0.1 * LN2, 5);
    });
  });

  it('a batch of empty images only: the gate term alone', () => {
    expectNoLeak(() => {
      const y = tf.zeros([2, 1, 2, 1]);
      const x = tf.ones([2, 1, 2, 1]);
      const g = tf.zeros([2, 1]);
      const v = headsLoss(bceWithLogits, { gateWeight: 2, auxWeight: 0.1, nonEmptyOnly: true })(y, { logits: x, gate: g, aux: [x] });
      expect(v.dataSync()[0]).toBeCloseTo(2 * LN2, 5);
      tf.dispose([y, x, g, v]);
    });
  });

  it('no extra heads: the segmentation loss itself', () => {
    expectNoLeak(() => {
      const y = tf.tensor4d(LABELS, [3, 1, 2, 1]);
      const x = tf.tensor4d(LOGITS, [3, 1, 2, 1]);
      const v = headsLoss(bceWithLogits, { gateWeight: 1, auxWeight: 1, nonEmptyOnly: true })(y, { logits: x, aux: [] });
      expect(v.dataSync()[0]).toBeCloseTo(BCE_ALL, 5);
      tf.dispose([y, x, v]);
    });
  });
});
