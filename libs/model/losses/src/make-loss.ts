import * as tf from '@tensorflow/tfjs';
import { UserError } from '@segkit/io';
import { bceWithLogits } from './bce';
import { softDice } from './dice';
import { lovaszHinge } from './lovasz';

/** A segmentation loss on raw logits: (labels 0/1, logits) → scalar. */
export type LossFn = (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;

import { LossTerm, lossTermsProblem } from './kinds';

export type { LossTerm };

/**
 * Σ weight_k · term_k(labels, logits), e.g. the TGS recipe "BCE first, then Lovász":
 * makeLoss([{ kind: 'bce', weight: 0.5 }, { kind: 'lovasz', weight: 1, activation: 'elu+1' }]).
 * Validates eagerly (a UserError naming terms[i].<field>) so a bad config fails before training.
 * Zero-weight terms are skipped (no wasted compute), but at least one weight must be positive.
 */
export function makeLoss(terms: readonly LossTerm[]): LossFn {
  const problem = lossTermsProblem(terms);
  if (problem) throw new UserError(`loss terms${problem.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${problem.message}`);
  const active: LossFn[] = [];
  const weights: number[] = [];
  for (const term of terms) {
    if (term.weight === 0) continue;
    weights.push(term.weight);
    active.push(termFn(term));
  }
  return (labels, logits) =>
    tf.tidy(() => {
      let total = tf.mul(active[0](labels, logits), weights[0]) as tf.Scalar;
      for (let k = 1; k < active.length; k++) total = tf.add(total, tf.mul(active[k](labels, logits), weights[k]));
      return total;
    });
}

function termFn(term: LossTerm): LossFn {
  switch (term.kind) {
    case 'bce':
      return bceWithLogits;
    case 'dice':
      return (labels, logits) => softDice(labels, logits);
    case 'lovasz': {
      const opts = { perImage: term.perImage, activation: term.activation, symmetric: term.symmetric };
      return (labels, logits) => lovaszHinge(labels, logits, opts);
    }
  }
}
