/**
 * The loss terms a config may name, and the rules a list of them follows: the one table both
 * makeLoss and the config schema (@segkit/config) read. No tfjs here, so the schema (which the Nx
 * plugin loads) stays light.
 */

/** The loss kinds, on logits: binary cross-entropy, the Lovász hinge, soft Dice. */
export const LOSS_KINDS = ['bce', 'lovasz', 'dice'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** The Lovász hinge's penalty of the sorted errors: relu (the paper) or elu+1 (smooth). */
export const LOVASZ_ACTIVATIONS = ['relu', 'elu+1'] as const;

/** Options that only apply to kind 'lovasz'. */
export const LOVASZ_ONLY = ['perImage', 'activation', 'symmetric'] as const;

/** One weighted term of a composite loss; the Lovász options only apply to kind 'lovasz'. */
export interface LossTerm {
  kind: LossKind;
  /** ≥ 0; a term of weight 0 is skipped (at least one weight must be positive). */
  weight: number;
  perImage?: boolean;
  activation?: (typeof LOVASZ_ACTIVATIONS)[number];
  symmetric?: boolean;
}

/** The first rule a list of terms breaks, with the path of the offending field, or undefined. */
export function lossTermsProblem(terms: readonly LossTerm[]): { path: (string | number)[]; message: string } | undefined {
  if (!Array.isArray(terms) || terms.length === 0) return { path: [], message: 'expected at least one term' };
  for (const [i, term] of terms.entries()) {
    if (!(LOSS_KINDS as readonly string[]).includes(term.kind)) return { path: [i, 'kind'], message: `unknown loss "${String(term.kind)}" (expected one of ${LOSS_KINDS.join(', ')})` };
    if (typeof term.weight !== 'number' || !Number.isFinite(term.weight) || term.weight < 0) return { path: [i, 'weight'], message: `expected a finite number >= 0, got ${String(term.weight)}` };
    if (term.kind !== 'lovasz') {
      const field = LOVASZ_ONLY.find((f) => term[f] !== undefined);
      if (field) return { path: [i, field], message: `only applies to kind "lovasz", not "${term.kind}"` };
    }
    if (term.activation !== undefined && !(LOVASZ_ACTIVATIONS as readonly string[]).includes(term.activation)) {
      return { path: [i, 'activation'], message: `unknown activation "${String(term.activation)}" (expected ${LOVASZ_ACTIVATIONS.join(' or ')})` };
    }
  }
  if (terms.every((t) => t.weight === 0)) return { path: [], message: 'every weight is 0; at least one must be positive' };
  return undefined;
}
