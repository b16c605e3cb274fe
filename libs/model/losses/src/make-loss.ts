import * as tf from '@tensorflow/tfjs';
import { UserError } from '@tgs/io';
import { bceWithLogits } from './bce';
import { softDice } from './dice';
import { lovaszHinge } from './lovasz';

/** A segmentation loss on raw logits: (labels 0/1, logits) → scalar. */
export type LossFn = (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;

/** One weighted term of a composite loss; the Lovász options only apply to kind 'lovasz'. */
export interface LossTerm {
  kind: 'bce' | 'lovasz' | 'dice';
  weight: number;
  perImage?: boolean;
  activation?: 'relu' | 'elu+1';
  symmetric?: boolean;
}

const KINDS = ['bce', 'lovasz', 'dice'] as const;
const LOVASZ_ONLY = ['perImage', 'activation', 'symmetric'] as const;

/**
 * Σ weight_k · term_k(labels, logits), e.g. the TGS recipe "BCE first, then Lovász":
 * makeLoss([{ kind: 'bce', weight: 0.5 }, { kind: 'lovasz', weight: 1, activation: 'elu+1' }]).
 * Validates eagerly (a UserError naming terms[i].<field>) so a bad config fails before training.
 * Zero-weight terms are skipped (no wasted compute), but at least one weight must be positive.
 */
export function makeLoss(terms: readonly LossTerm[]): LossFn {
  if (!Array.isArray(terms) || terms.length === 0) throw new UserError('loss terms: expected at least one term');
  const active: LossFn[] = [];
  const weights: number[] = [];
  terms.forEach((term, i) => {
    const at = `loss terms[${i}]`;
    if (!(KINDS as readonly string[]).includes(term.kind)) {
      throw new UserError(`${at}.kind: unknown loss "${String(term.kind)}" (expected one of ${KINDS.join(', ')})`);
    }
    if (typeof term.weight !== 'number' || !Number.isFinite(term.weight) || term.weight < 0) {
      throw new UserError(`${at}.weight: expected a finite number >= 0, got ${String(term.weight)}`);
    }
    if (term.kind !== 'lovasz') {
      for (const field of LOVASZ_ONLY) {
        if (term[field] !== undefined) throw new UserError(`${at}.${field}: only applies to kind "lovasz", not "${term.kind}"`);
      }
    }
    if (term.activation !== undefined && term.activation !== 'relu' && term.activation !== 'elu+1') {
      throw new UserError(`${at}.activation: unknown activation "${String(term.activation)}" (expected relu or elu+1)`);
    }
    if (term.weight === 0) return;
    weights.push(term.weight);
    active.push(termFn(term));
  });
  if (active.length === 0) throw new UserError('loss terms: every weight is 0; at least one must be positive');
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
