import * as tf from '@tensorflow/tfjs';
import { bceWithLogits } from './bce';
import { softDice } from './dice';
import { lovaszHinge } from './lovasz';
import { LossTerm, makeLoss } from './make-loss';
import { expectNoLeak, normal, rng, useBackend, valueAndGradOf } from './testing';

describe('makeLoss', () => {
  beforeAll(() => useBackend('cpu'));
  const r = rng(7);
  const labels = Array.from({ length: 2 * 9 }, (_, i) => (i < 9 ? 0 : r() < 0.5 ? 1 : 0));
  const logits = labels.map(() => Math.fround(normal(r)));
  const shape = [2, 3, 3, 1];

  it('is the weighted sum of its terms, value and gradient', () => {
    expectNoLeak(() => {
      const combo = valueAndGradOf(
        makeLoss([
          { kind: 'bce', weight: 0.5 },
          { kind: 'lovasz', weight: 2, activation: 'elu+1', symmetric: true },
          { kind: 'dice', weight: 0.25 },
        ]),
        labels,
        logits,
        shape,
      );
      const parts = [
        valueAndGradOf(bceWithLogits, labels, logits, shape),
        valueAndGradOf((y, x) => lovaszHinge(y, x, { activation: 'elu+1', symmetric: true }), labels, logits, shape),
        valueAndGradOf(softDice, labels, logits, shape),
      ];
      const w = [0.5, 2, 0.25];
      expect(combo.value).toBeCloseTo(parts.reduce((s, p, k) => s + w[k] * p.value, 0), 5);
      combo.grad.forEach((g, i) => expect(g).toBeCloseTo(parts.reduce((s, p, k) => s + w[k] * p.grad[i], 0), 5));
    });
  });

  it('passes the Lovász options through (batch vs per image differ)', () => {
    expectNoLeak(() => {
      const perImage = valueAndGradOf(makeLoss([{ kind: 'lovasz', weight: 1 }]), labels, logits, shape).value;
      const batch = valueAndGradOf(makeLoss([{ kind: 'lovasz', weight: 1, perImage: false }]), labels, logits, shape).value;
      expect(perImage).toBeCloseTo(valueAndGradOf(lovaszHinge, labels, logits, shape).value, 6);
      expect(batch).toBeCloseTo(valueAndGradOf((y, x) => lovaszHinge(y, x, { perImage: false }), labels, logits, shape).value, 6);
      expect(batch).not.toBeCloseTo(perImage, 3);
    });
  });

  it('skips zero-weight terms', () => {
    expectNoLeak(() => {
      const v = valueAndGradOf(makeLoss([{ kind: 'bce', weight: 1 }, { kind: 'dice', weight: 0 }]), labels, logits, shape).value;
      expect(v).toBeCloseTo(valueAndGradOf(bceWithLogits, labels, logits, shape).value, 6);
    });
  });

  it.each([
    [[], /at least one term/],
    [[{ kind: 'focal', weight: 1 }], /terms\[0\]\.kind: unknown loss "focal"/],
    [[{ kind: 'bce', weight: 1 }, { kind: 'dice', weight: -0.5 }], /terms\[1\]\.weight/],
    [[{ kind: 'bce', weight: NaN }], /terms\[0\]\.weight/],
    [[{ kind: 'bce', weight: 1, symmetric: true }], /terms\[0\]\.symmetric: only applies to kind "lovasz"/],
    [[{ kind: 'lovasz', weight: 1, activation: 'tanh' }], /terms\[0\]\.activation/],
    [[{ kind: 'bce', weight: 0 }], /every weight is 0/],
  ])('rejects %j', (terms, message) => {
    expect(() => makeLoss(terms as unknown as LossTerm[])).toThrow(message);
  });

  it('rejects mismatched labels at call time', () => {
    const loss = makeLoss([{ kind: 'bce', weight: 1 }]);
    const y = tf.zeros([2, 3, 3, 1]);
    const x = tf.zeros([2, 3, 3]);
    expectNoLeak(() => expect(() => loss(y, x)).toThrow(/labels shape/));
    tf.dispose([y, x]);
  });
});
