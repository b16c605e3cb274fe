import * as tf from '@tensorflow/tfjs';
import { lovaszHinge, LovaszOptions } from './lovasz';
import { expectNoLeak, finiteDifferences, normal, rng, useBackend, valueAndGradOf } from './testing';

/**
 * Independent float64 reference: the Lovász extension by its level-set definition,
 *   f̄(m) = Σ_k (m_(k) − m_(k+1)) · Δ(S_k),   m_(N+1) = 0,
 * with m = act(errors) ≥ 0 sorted decreasingly, S_k the k pixels with the largest m, and the Jaccard
 * loss of a mispredicted set S counted explicitly: Δ(S) = 1 − |y ∖ S| / |y ∪ S| (0 if y ∪ S = ∅).
 * O(N²) and written without cumulative sums, unlike the implementation.
 */
function naiveLovaszGroup(logits: number[], labels: number[], activation: 'relu' | 'elu+1'): number {
  const act = (e: number) => (activation === 'relu' ? Math.max(e, 0) : e > 0 ? e + 1 : Math.exp(e));
  const m = logits.map((x, i) => act(1 - x * (2 * labels[i] - 1)));
  const order = m.map((_, i) => i).sort((a, b) => m[b] - m[a]);
  let total = 0;
  const inS = new Array<boolean>(m.length).fill(false);
  for (let k = 0; k < order.length; k++) {
    inS[order[k]] = true;
    let truthNotInS = 0;
    let union = 0;
    for (let i = 0; i < m.length; i++) {
      if (labels[i] === 1 && !inS[i]) truthNotInS++;
      if (labels[i] === 1 || inS[i]) union++;
    }
    const delta = union === 0 ? 0 : 1 - truthNotInS / union;
    const next = k + 1 < order.length ? m[order[k + 1]] : 0;
    total += (m[order[k]] - next) * delta;
  }
  return total;
}

function naiveLovasz(logits: number[], labels: number[], batch: number, opts: LovaszOptions): number {
  const activation = opts.activation ?? 'relu';
  const oneSide = (x: number[], y: number[]) => {
    if (opts.perImage === false) return naiveLovaszGroup(x, y, activation);
    const n = x.length / batch;
    let sum = 0;
    for (let b = 0; b < batch; b++) sum += naiveLovaszGroup(x.slice(b * n, (b + 1) * n), y.slice(b * n, (b + 1) * n), activation);
    return sum / batch;
  };
  const forward = oneSide(logits, labels);
  if (!opts.symmetric) return forward;
  return (forward + oneSide(logits.map((v) => -v), labels.map((v) => 1 - v))) / 2;
}

/** A batch of 4 images 5×5: empty, full, single-pixel and random masks; logits float32-representable. */
function randomBatch(seed: number): { labels: number[]; logits: number[]; shape: number[] } {
  const r = rng(seed);
  const pixels = 25;
  const labels: number[] = [];
  const logits: number[] = [];
  const single = Math.floor(r() * pixels);
  for (let b = 0; b < 4; b++) {
    for (let p = 0; p < pixels; p++) {
      const y = b === 0 ? 0 : b === 1 ? 1 : b === 2 ? (p === single ? 1 : 0) : r() < 0.4 ? 1 : 0;
      labels.push(y);
      logits.push(Math.fround(normal(r) * 1.5 + (y ? 0.5 : -0.5)));
    }
  }
  return { labels, logits, shape: [4, 5, 5, 1] };
}

const variants: [string, LovaszOptions][] = [
  ['relu, per image', {}],
  ['relu, whole batch', { perImage: false }],
  ['elu+1, per image', { activation: 'elu+1' }],
  ['elu+1, whole batch', { activation: 'elu+1', perImage: false }],
  ['symmetric relu, per image', { symmetric: true }],
  ['symmetric elu+1, whole batch', { symmetric: true, activation: 'elu+1', perImage: false }],
];

describe.each(['cpu', 'wasm'] as const)('lovaszHinge on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(variants)('%s', (_name, opts) => {
    it.each([11, 22, 33])('value and gradient match the naive level-set form (seed %d)', (seed) => {
      const { labels, logits, shape } = randomBatch(seed);
      expectNoLeak(() => {
        const { value, grad } = valueAndGradOf((y, x) => lovaszHinge(y, x, opts), labels, logits, shape);
        const reference = (x: number[]) => naiveLovasz(x, labels, shape[0], opts);
        expect(value).toBeCloseTo(reference(logits), 5);
        const fd = finiteDifferences(reference, logits);
        grad.forEach((g, i) => expect(Math.abs(g - fd[i])).toBeLessThan(2e-5));
      });
    });
  });

  it('empty truth (relu): loss 1 + max logit, all gradient on the highest-scoring pixel', () => {
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf(lovaszHinge, [0, 0, 0, 0], [0.5, -2, 0.1, -0.5], [1, 2, 2, 1]);
      expect(value).toBeCloseTo(1.5, 6);
      expect(grad).toEqual([1, 0, 0, 0]);
    });
  });

  it('empty truth (symmetric): half on the top pixel, half spread as mean relu(1 + x)', () => {
    // forward 1.5; background term mean(relu(1 + x)) = (1.5 + 0 + 1.1 + 0.5) / 4 = 0.775
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf((y, x) => lovaszHinge(y, x, { symmetric: true }), [0, 0, 0, 0], [0.5, -2, 0.1, -0.5], [1, 4]);
      expect(value).toBeCloseTo((1.5 + 0.775) / 2, 6);
      [0.625, 0, 0.125, 0.125].forEach((g, i) => expect(grad[i]).toBeCloseTo(g, 6));
    });
  });

  it('empty truth (elu+1): elu(1 + max x) + 1, gradient elu′ on the top pixel only', () => {
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf((y, x) => lovaszHinge(y, x, { activation: 'elu+1' }), [0, 0, 0], [-3, -4, -5], [1, 3]);
      expect(value).toBeCloseTo(Math.exp(-2), 6); // e = 1 + (−3) = −2 → elu(−2) + 1 = e^−2
      expect(grad[0]).toBeCloseTo(Math.exp(-2), 6);
      expect(grad.slice(1)).toEqual([0, 0]);
    });
  });

  it('full truth: mean relu(1 − x), gradient −1/N where the margin is violated', () => {
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf(lovaszHinge, [1, 1, 1, 1], [2, 0, -1, 0.5], [1, 4]);
      expect(value).toBeCloseTo((0 + 1 + 2 + 0.5) / 4, 6);
      [0, -0.25, -0.25, -0.25].forEach((g, i) => expect(grad[i]).toBeCloseTo(g, 6));
    });
  });

  it('is 0 for a perfect prediction beyond the margin', () => {
    expectNoLeak(() => {
      const { value } = valueAndGradOf(lovaszHinge, [1, 0, 0, 1], [3, -2, -1.5, 1.01], [1, 2, 2]);
      expect(value).toBe(0);
    });
  });

  it('per image averages images; the batch form pools the pixels', () => {
    // image 0 empty with max logit 1 → 2; image 1 full with logits 3 → 0. Per image: (2 + 0) / 2 = 1.
    // Batch: one group, y = [0,0,1,1], x = [1,−1,3,3] → errors [2, 0, −2, −2]; sorted: 2 (y=0) first,
    // Jaccard of {that pixel} = 1 − 2/3 → loss = 2 · 1/3.
    const labels = [0, 0, 1, 1];
    const logits = [1, -1, 3, 3];
    expectNoLeak(() => {
      expect(valueAndGradOf(lovaszHinge, labels, logits, [2, 2]).value).toBeCloseTo(1, 6);
      expect(valueAndGradOf((y, x) => lovaszHinge(y, x, { perImage: false }), labels, logits, [2, 2]).value).toBeCloseTo(2 / 3, 6);
    });
  });

  it('trains a variable through optimizer.minimize (the training-loop path), without leaks', () => {
    const { labels, logits, shape } = randomBatch(44);
    const y = tf.tensor(labels, shape);
    const w = tf.variable(tf.tensor(logits, shape));
    const opt = tf.train.sgd(5);
    const lossOf = () => lovaszHinge(y, w, { activation: 'elu+1' });
    const first = tf.tidy(() => lossOf().dataSync()[0]);
    expectNoLeak(() => {
      for (let step = 0; step < 20; step++) tf.dispose(opt.minimize(lossOf, true) ?? []);
    });
    const last = tf.tidy(() => lossOf().dataSync()[0]);
    expect(last).toBeLessThan(first * 0.8);
    tf.dispose([y, w]);
    opt.dispose();
  });

  it('accepts [B,H,W] and int labels; rejects mismatched shapes and unknown activations', () => {
    expectNoLeak(() => {
      const y4 = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
      const x4 = tf.tensor4d([0.3, -0.2, 0.9, 0.1], [1, 2, 2, 1]);
      const y3 = tf.tensor3d([1, 0, 0, 1], [1, 2, 2], 'int32');
      const x3 = tf.reshape(x4, [1, 2, 2]);
      const a = lovaszHinge(y4, x4);
      const b = lovaszHinge(y3, x3);
      expect(b.dataSync()[0]).toBeCloseTo(a.dataSync()[0], 6);
      expect(() => lovaszHinge(y4, x3)).toThrow(/labels shape \[1,2,2,1\] differs from logits shape \[1,2,2\]/);
      expect(() => lovaszHinge(y4, x4, { activation: 'tanh' as 'relu' })).toThrow(/activation/);
      tf.dispose([y4, x4, y3, x3, a, b]);
    });
  });
});
