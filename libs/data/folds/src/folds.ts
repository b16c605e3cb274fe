import { mixSeed, Rng } from '@segkit/random';
import { UserError } from '@segkit/io';
import { maskCoverage, TrainSet } from '@segkit/data';

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
  /**
   * A regular expression on the id: images whose ids give the same group (its first capture
   * group, else the whole match) share a fold, e.g. `^(.+)_\d+\.jpg$` for Carvana's 16 views of
   * one car. Only with `stratify: 'coverage'`.
   */
  groupBy?: string;
}

/** The group of every id under a `groupBy` pattern; an id the pattern does not match is an error naming both. */
export function groupsOf(ids: readonly string[], pattern: string): Map<string, string> {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new UserError(`folds.groupBy "${pattern}" is not a regular expression (${(err as Error).message})`);
  }
  const groups = new Map<string, string>();
  for (const id of ids) {
    const m = re.exec(id);
    if (!m) throw new UserError(`folds.groupBy "${pattern}" does not match the id "${id}": every train id needs a group`);
    groups.set(id, m[1] ?? m[0]);
  }
  return groups;
}

/**
 * Coverage-stratified folds that keep each group in one fold. Groups are classed by the coverage
 * class of their mean coverage; class by class, the groups are shuffled with the seed, ordered by
 * size (largest first, a stable sort) and each given to the fold with the fewest images so far
 * (ties: the first fold from the dealer on, the dealer moving past each fold it fills). So each
 * class is spread over the folds, and fold sizes differ by at most the largest group.
 */
function groupedCoverageFolds(items: FoldItem[], k: number, rng: Rng, pattern: string): Map<string, number> {
  const sorted = [...items].sort(byId);
  const groupOf = groupsOf(sorted.map((it) => it.id), pattern);
  const members = new Map<string, FoldItem[]>();
  for (const item of sorted) {
    const g = groupOf.get(item.id) as string;
    const list = members.get(g);
    if (list) list.push(item);
    else members.set(g, [item]);
  }
  if (members.size < k) {
    throw new UserError(`folds.groupBy "${pattern}" makes ${members.size} group(s) of the train ids, fewer than the ${k} folds`);
  }
  const classes: FoldItem[][][] = Array.from({ length: 11 }, () => []);
  for (const group of members.values()) {
    const mean = group.reduce((sum, it) => sum + it.coverage, 0) / group.length;
    classes[coverageClass(mean)].push(group);
  }
  const sizes = new Array<number>(k).fill(0);
  let dealer = rng.int(0, k - 1);
  const folds = new Map<string, number>();
  for (const groups of classes) {
    const order = rng.shuffle(groups).map((g, i) => ({ g, i }));
    order.sort((a, b) => b.g.length - a.g.length || a.i - b.i);
    for (const { g } of order) {
      let best = dealer;
      for (let step = 1; step < k; step++) {
        const f = (dealer + step) % k;
        if (sizes[f] < sizes[best]) best = f;
      }
      for (const item of g) folds.set(item.id, best);
      sizes[best] += g.length;
      dealer = (best + 1) % k;
    }
  }
  return folds;
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
 * Assigns every item a fold 0..k−1 (with `groupBy`, see groupedCoverageFolds), deterministically from `seed` and independent of the input
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
  if (opts.groupBy !== undefined) {
    if (opts.stratify !== 'coverage') throw new UserError(`folds.groupBy works with folds.stratify "coverage", got "${String(opts.stratify)}"`);
    return groupedCoverageFolds(items, k, rng, opts.groupBy);
  }
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
