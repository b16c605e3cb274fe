/**
 * Objects and the Airbus Ship Detection score. Kaggle's definition: at each IoU threshold
 * t ∈ {0.50, 0.55, …, 0.95} a predicted object is a true positive when it matches a true object with
 * IoU > t, a false positive when it matches none, and a true object without a match is a false
 * negative; F2(t) = 5·TP / (5·TP + 4·FN + FP) (Fβ with β = 2), the image scores the mean of F2(t)
 * over the 10 thresholds, and the leaderboard score is the mean over images. An image with no true
 * and no predicted object scores 1 (nothing to find, nothing claimed).
 *
 * Predicted objects are the 8-connected components of the binarised mask (what the submission
 * writes as one row each); true objects are the rows given for the truth, or the 8-connected
 * components of the truth mask when only the mask is known.
 *
 * Matching needs no assignment step: objects on one side are disjoint, so for t ≥ 0.5 an object
 * matches at most one object on the other side (IoU(A, X) > 0.5 means |A∩X| > |A|/2, which two
 * disjoint X cannot both have). TP(t) is then the number of (predicted, true) pairs with IoU > t.
 */

/** Kaggle's β = 2: recall weighs four times as much as precision. */
const BETA2 = 4;

/**
 * 8-connected components of the pixels listed in `foreground` (row-major indices into an image of
 * width `width`, in increasing order), written into `labels` (1…count by the raster order of each
 * component's first pixel; pixels not listed are left untouched) with union–find over `parent` (a
 * scratch array as long as the image). `isForeground(p)` must be true exactly for listed pixels.
 * Returns the number of components.
 */
export function labelListed(
  foreground: ArrayLike<number>,
  count: number,
  width: number,
  isForeground: (p: number) => boolean,
  parent: Int32Array,
  labels: Int32Array,
): number {
  const find = (p: number): number => {
    let r = p;
    while (parent[r] !== r) r = parent[r];
    while (parent[p] !== r) {
      const next = parent[p];
      parent[p] = r;
      p = next;
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let k = 0; k < count; k++) {
    const p = foreground[k];
    parent[p] = p;
    const x = p % width;
    // neighbours already visited in raster order: left, and the three above
    if (x > 0 && isForeground(p - 1)) union(p, p - 1);
    if (p >= width) {
      const up = p - width;
      if (isForeground(up)) union(p, up);
      if (x > 0 && isForeground(up - 1)) union(p, up - 1);
      if (x < width - 1 && isForeground(up + 1)) union(p, up + 1);
    }
  }
  // roots are each component's smallest index, so the first listed pixel of a component is its root
  let next = 0;
  for (let k = 0; k < count; k++) {
    const p = foreground[k];
    const r = find(p);
    labels[p] = r === p ? ++next : labels[r];
  }
  return next;
}

/**
 * The 8-connected components of a row-major H×W mask (non-zero = foreground): a label per pixel,
 * 0 for background and 1…count numbered by the raster order of each component's first pixel.
 */
export function labelComponents(mask: ArrayLike<number>, height: number, width: number): { labels: Int32Array; count: number } {
  const pixels = height * width;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`mask shape must be positive integers, got ${height}x${width}`);
  }
  if (mask.length !== pixels) throw new RangeError(`mask has ${mask.length} pixels, expected ${height}x${width} = ${pixels}`);
  const foreground: number[] = [];
  for (let p = 0; p < pixels; p++) if (mask[p] !== 0) foreground.push(p);
  const labels = new Int32Array(pixels);
  const count = labelListed(foreground, foreground.length, width, (p) => mask[p] !== 0, new Int32Array(pixels), labels);
  return { labels, count };
}

/**
 * F2 of one image averaged over the IoU thresholds, from the true positives at each of them:
 * mean over t of 5·TP(t) / (5·TP(t) + 4·(nTruth − TP(t)) + (nPred − TP(t))); 1 when there is
 * neither a true nor a predicted object.
 */
export function f2ImageScore(truePositives: ArrayLike<number>, nPred: number, nTruth: number): number {
  if (nPred === 0 && nTruth === 0) return 1;
  let sum = 0;
  for (let k = 0; k < truePositives.length; k++) {
    const tp = truePositives[k];
    sum += ((1 + BETA2) * tp) / ((1 + BETA2) * tp + BETA2 * (nTruth - tp) + (nPred - tp));
  }
  return sum / truePositives.length;
}

/**
 * True positives at each IoU threshold t = k/20, k = 10…19, between labelled objects: for every
 * (predicted, true) pair that overlaps, IoU = I / (Ap + At − I) is compared exactly in integers
 * (IoU > k/20 ⇔ 20·I > k·U), so an IoU of exactly 0.5 is not a hit at 0.5.
 * `predPixels` lists the predicted foreground pixels (count of them), `predLabels[p]` ∈ 1…nPred
 * there; `truthLabels[truthOffset + p]` ∈ 0…nTruth; the area arrays are indexed by label.
 */
export function objectTruePositives(
  predPixels: ArrayLike<number>,
  count: number,
  predLabels: Int32Array,
  predAreas: Int32Array,
  truthLabels: ArrayLike<number>,
  truthOffset: number,
  truthAreas: Int32Array,
  nTruth: number,
  out = new Int32Array(10),
): Int32Array {
  out.fill(0);
  if (nTruth === 0) return out;
  const stride = nTruth + 1;
  const inter = new Map<number, number>();
  for (let k = 0; k < count; k++) {
    const p = predPixels[k];
    const t = truthLabels[truthOffset + p];
    if (t === 0) continue;
    const key = predLabels[p] * stride + t;
    inter.set(key, (inter.get(key) ?? 0) + 1);
  }
  for (const [key, i] of inter) {
    const union = predAreas[Math.floor(key / stride)] + truthAreas[key % stride] - i;
    for (let k = 10; k < 20; k++) if (20 * i > k * union) out[k - 10]++;
  }
  return out;
}

/**
 * Compacts one image's true-object labels (any non-negative integers, 0 = background, e.g. the row
 * of each object in the CSV) to 1…nTruth in raster order of first appearance; writes them to
 * `out[0…pixels)` and their areas to a new array indexed by label.
 */
export function compactTruthLabels(
  truthLabels: ArrayLike<number>,
  offset: number,
  pixels: number,
  out: Int32Array,
): { nTruth: number; areas: Int32Array } {
  const ids = new Map<number, number>();
  const counts: number[] = [0];
  for (let p = 0; p < pixels; p++) {
    const raw = truthLabels[offset + p];
    if (raw === 0) {
      out[p] = 0;
      continue;
    }
    let id = ids.get(raw);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(raw, id);
      counts.push(0);
    }
    out[p] = id;
    counts[id]++;
  }
  return { nTruth: ids.size, areas: Int32Array.from(counts) };
}

/**
 * The Airbus score of one image from label maps (0 = background): predicted objects as labelled
 * (components of the mask, or a submission's rows), true objects likewise. Labels on either side
 * may be any integers; they are compacted first.
 */
export function f2ObjectsImageScore(predLabels: ArrayLike<number>, truthLabels: ArrayLike<number>, pixels: number): number {
  const pred = new Int32Array(pixels);
  const truth = new Int32Array(pixels);
  const p = compactTruthLabels(predLabels, 0, pixels, pred);
  const t = compactTruthLabels(truthLabels, 0, pixels, truth);
  const listed: number[] = [];
  for (let q = 0; q < pixels; q++) if (pred[q] !== 0) listed.push(q);
  const tp = objectTruePositives(listed, listed.length, pred, p.areas, truth, 0, t.areas, t.nTruth);
  return f2ImageScore(tp, p.nTruth, t.nTruth);
}
