import { mixSeed, Rng } from '@tgs/random';
import { UserError } from '@tgs/io';
import { maskCoverage, TrainSet } from '@tgs/data';

/**
 * How folds are balanced: `'coverage'` spreads each salt-coverage class evenly over the folds
 * (the usual TGS split); `'depth'` spreads the depth range evenly (sort by z, deal round-robin,
 * as several TGS top solutions did).
 */
export type Stratify = 'coverage' | 'depth';

/** One training image as the fold splitter sees it. */
export interface FoldItem {
  id: string;
  /** Fraction of salt pixels, 0..1. */
  coverage: number;
  /** Depth z; NaN when unknown. */
  depth: number;
}

export interface FoldOptions {
  /** Number of folds, default 5. */
  k?: number;
  seed: number;
  stratify: Stratify;
}

/**
 * TGS coverage class: 0 for an empty mask, otherwise ceil(10·coverage), so class c ≥ 1 holds
 * coverages in ((c−1)/10, c/10]. The product is nudged down by 1e-9 before the ceiling because
 * 10·0.3 = 3.0000000000000004 in floating point would otherwise land in class 4; real coverages
 * are multiples of 1/(H·W), far coarser than 1e-9.
 */
export function coverageClass(coverage: number): number {
  if (!(coverage >= 0 && coverage <= 1)) throw new RangeError(`coverage must be in [0, 1], got ${coverage}`);
  if (coverage === 0) return 0;
  return Math.min(10, Math.max(1, Math.ceil(coverage * 10 - 1e-9)));
}

/** Zips a split's parallel arrays into fold items. */
export function foldItems(ids: readonly string[], coverage: ArrayLike<number>, depths: ArrayLike<number>): FoldItem[] {
  if (coverage.length !== ids.length || depths.length !== ids.length) {
    throw new RangeError(`foldItems: ${ids.length} ids, ${coverage.length} coverages, ${depths.length} depths`);
  }
  return ids.map((id, i) => ({ id, coverage: coverage[i], depth: depths[i] }));
}

const byId = (a: FoldItem, b: FoldItem) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Depth order: ascending z, unknown depths (NaN) last, ties by id. */
function byDepthThenId(a: FoldItem, b: FoldItem): number {
  const an = Number.isNaN(a.depth);
  const bn = Number.isNaN(b.depth);
  if (an !== bn) return an ? 1 : -1;
  if (!an && a.depth !== b.depth) return a.depth - b.depth;
  return byId(a, b);
}

function validate(items: FoldItem[], k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new UserError(`k (the number of folds) must be an integer >= 2, got ${k}`);
  if (items.length < k) throw new UserError(`k = ${k} folds need at least ${k} images, got ${items.length}`);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new UserError(`duplicate id "${item.id}" in the fold items`);
    seen.add(item.id);
  }
}

/**
 * Assigns every item a fold 0..k−1, deterministically from `seed` and independent of the input
 * order (items are first sorted by id).
 *
 * - coverage: items are grouped by {@link coverageClass}; each class is shuffled with the seed and
 *   dealt round-robin, the dealer continuing from class to class from a seeded start. Within
 *   every class, and overall, fold sizes differ by at most one.
 * - depth: items are sorted by depth (NaN last, ties by id) and cut into consecutive blocks of k;
 *   each block is dealt one item per fold, the fold order within the block drawn from the seed.
 *   This is the round-robin deal of sorted depths, with every block's order seeded rather than a
 *   single offset (which would give only k distinct splits). Every block of k neighbouring depths
 *   spans all folds, and fold sizes differ by at most one.
 */
export function makeFolds(items: FoldItem[], opts: FoldOptions): Map<string, number> {
  const k = opts.k ?? 5;
  validate(items, k);
  if (!Number.isSafeInteger(opts.seed)) throw new UserError(`seed must be an integer, got ${opts.seed}`);
  const rng = new Rng(mixSeed(opts.seed, opts.stratify === 'coverage' ? 1 : 2, k));
  const folds = new Map<string, number>();
  if (opts.stratify === 'coverage') {
    const classes: FoldItem[][] = Array.from({ length: 11 }, () => []);
    for (const item of [...items].sort(byId)) classes[coverageClass(item.coverage)].push(item);
    let dealer = rng.int(0, k - 1);
    for (const members of classes) {
      for (const item of rng.shuffle(members)) {
        folds.set(item.id, dealer);
        dealer = (dealer + 1) % k;
      }
    }
  } else if (opts.stratify === 'depth') {
    const sorted = [...items].sort(byDepthThenId);
    const order = Array.from({ length: k }, (_, f) => f);
    for (let start = 0; start < sorted.length; start += k) {
      rng.shuffle(order);
      const end = Math.min(start + k, sorted.length);
      for (let i = start; i < end; i++) folds.set(sorted[i].id, order[i - start]);
    }
  } else {
    throw new UserError(`stratify must be 'coverage' or 'depth', got '${String(opts.stratify)}'`);
  }
  return folds;
}

/**
 * The folds of a loaded train set: coverage from its masks, depths from depths.csv. Stratifying by
 * depth needs a depth for every train id; `source` (the data folder) is named in that error.
 */
export function assignTrainFolds(train: Pick<TrainSet, 'ids' | 'masks' | 'depths' | 'height' | 'width'>, opts: FoldOptions, source: string): Map<string, number> {
  const coverage = maskCoverage(train.masks, train.ids.length, train.height * train.width);
  const items = foldItems(train.ids, coverage, train.depths);
  if (opts.stratify === 'depth' && items.some((it) => Number.isNaN(it.depth))) {
    throw new UserError(`folds.stratify is "depth" but ${source}/depths.csv does not give a depth for every train id`);
  }
  return makeFolds(items, opts);
}

/** How many images each fold validates, folds 0..k-1. */
export function foldSizes(folds: ReadonlyMap<string, number>, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (const f of folds.values()) sizes[f]++;
  return sizes;
}

/** Train and validation indices (into `train.ids`) of one fold; validation = images of that fold. */
export function splitFold(train: { ids: readonly string[] }, folds: ReadonlyMap<string, number>, fold: number): { trainIdx: number[]; valIdx: number[] } {
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  train.ids.forEach((id, i) => {
    const f = folds.get(id);
    if (f === undefined) throw new Error(`id ${id} has no fold in the folds file`);
    (f === fold ? valIdx : trainIdx).push(i);
  });
  if (valIdx.length === 0) throw new Error(`fold ${fold} has no validation images`);
  return { trainIdx, valIdx };
}
