import { tgsImageScore } from './tgs-score';
import { diceImageScore } from './dice';
import { IOU_THRESHOLDS } from './tgs-score';
import { allEmptyScoreFromStats, bestThresholdFromStats, concatThresholdStats, meanScoreFromStats, perImageScoresFromStats, rankFinder, thresholdStats } from './threshold-stats';
import { scoresByCoverage } from './breakdown';
import { uniformSource } from '@segkit/random';

/** Seeded uniform source (mulberry32 from @segkit/random) so random cases are reproducible. */
const rng = uniformSource;

/** Second method: recount every threshold separately, straight from the definition. */
function naiveStats(logits: Float32Array, truths: Uint8Array, pixels: number, thresholds: number[]) {
  const n = logits.length / pixels;
  const T = thresholds.length;
  const predArea: number[] = [];
  const intersection: number[] = [];
  const truthArea: number[] = [];
  for (let i = 0; i < n; i++) {
    let ta = 0;
    for (let p = 0; p < pixels; p++) if (truths[i * pixels + p]) ta++;
    truthArea.push(ta);
    for (let j = 0; j < T; j++) {
      let pa = 0;
      let ia = 0;
      for (let p = 0; p < pixels; p++) {
        const fg = logits[i * pixels + p] > thresholds[j];
        if (fg) pa++;
        if (fg && truths[i * pixels + p]) ia++;
      }
      predArea.push(pa);
      intersection.push(ia);
    }
  }
  return { n, truthArea, predArea, intersection };
}

function randomCase(seed: number, n: number, pixels: number, thresholds: number[]) {
  const r = rng(seed);
  const logits = new Float32Array(n * pixels);
  const truths = new Uint8Array(n * pixels);
  for (let i = 0; i < n; i++) {
    const kind = i % 4; // 0: empty truth, 1: full truth, 2–3: random
    const bias = (r() - 0.5) * 6;
    for (let p = 0; p < pixels; p++) {
      const k = i * pixels + p;
      truths[k] = kind === 0 ? 0 : kind === 1 ? 1 : r() < 0.4 ? 1 : 0;
      const u = r();
      // a share of logits sit exactly on a threshold (strictness) or are extreme / NaN
      logits[k] =
        u < 0.1 ? thresholds[Math.floor(r() * thresholds.length)] : u < 0.12 ? NaN : u < 0.15 ? (r() < 0.5 ? -1e30 : 1e30) : bias + (truths[k] ? 1 : -1) + (r() - 0.5) * 4;
    }
  }
  return { logits, truths };
}

describe('thresholdStats', () => {
  it.each([
    [1, 12, 25, [0]],
    [2, 9, 30, [-2, -1, -0.5, 0, 0.5, 1, 2]],
    [3, 16, 11, Array.from({ length: 41 }, (_, j) => -4 + j * 0.2)],
    [4, 5, 7, [-1e31, 1e31]],
  ])('matches a per-threshold recount (seed %d, %d images × %d px)', (seed, n, pixels, thresholds) => {
    const th = thresholds.map((t) => Math.fround(t)); // thresholds representable as float32 logits
    const { logits, truths } = randomCase(seed, n, pixels, th);
    const stats = thresholdStats(logits, truths, pixels, th);
    const naive = naiveStats(logits, truths, pixels, th);
    expect(stats.n).toBe(n);
    expect(stats.pixels).toBe(pixels);
    expect(Array.from(stats.logitThresholds)).toEqual(th);
    expect(Array.from(stats.truthArea)).toEqual(naive.truthArea);
    expect(Array.from(stats.predArea)).toEqual(naive.predArea);
    expect(Array.from(stats.intersection)).toEqual(naive.intersection);
  });

  it('uses a strict comparison: a logit equal to the threshold is background', () => {
    const stats = thresholdStats(Float32Array.from([0, 0.5, 1, -1]), Uint8Array.from([1, 1, 1, 0]), 4, [0, 0.5, 1]);
    expect(Array.from(stats.predArea)).toEqual([2, 1, 0]);
    expect(Array.from(stats.intersection)).toEqual([2, 1, 0]);
    expect(Array.from(stats.truthArea)).toEqual([3]);
  });

  it('rejects bad thresholds and layouts, naming the field', () => {
    const l = new Float32Array(4);
    const t = new Uint8Array(4);
    expect(() => thresholdStats(l, t, 4, [])).toThrow(/logitThresholds/);
    expect(() => thresholdStats(l, t, 4, [0, 0])).toThrow(/logitThresholds\[1\]/);
    expect(() => thresholdStats(l, t, 4, [1, 0])).toThrow(/strictly increasing/);
    expect(() => thresholdStats(l, t, 4, [NaN])).toThrow(/logitThresholds\[0\]/);
    expect(() => thresholdStats(l, new Uint8Array(3), 4, [0])).toThrow(/truths length/);
    expect(() => thresholdStats(new Float32Array(5), new Uint8Array(5), 4, [0])).toThrow(/multiple of pixels/);
  });
});

describe('reductions', () => {
  // 4 images × 10 pixels, thresholds [-1, 0, 1]. Logits chosen so the areas are easy to read:
  //   image 0: truth 4 px; pred = logit 2 on those 4 (and nowhere else) → IoU 1 at every threshold
  //   image 1: truth empty; 2 px with logit 0.5 → predicted at −1 and 0 (area 2), empty at 1
  //   image 2: truth 4 px (pixels 0–3); logits 0.5 on pixels 0–2, −0.5 on pixel 4
  //            t=−1: pred {0,1,2,4}: I=3, P=4, U=5 → IoU 0.6 → 0.50,0.55 exceeded = 0.2
  //            t=0:  pred {0,1,2}: I=3, P=3, U=4 → 0.75 → 0.5;  t=1: empty → 0
  //   image 3: truth empty; nothing predicted → 1 everywhere
  const pixels = 10;
  const truths = new Uint8Array(4 * pixels);
  const logits = new Float32Array(4 * pixels).fill(-5);
  for (let p = 0; p < 4; p++) {
    truths[p] = 1;
    logits[p] = 2;
    truths[2 * pixels + p] = 1;
  }
  logits[pixels + 5] = 0.5;
  logits[pixels + 6] = 0.5;
  for (let p = 0; p < 3; p++) logits[2 * pixels + p] = 0.5;
  logits[2 * pixels + 4] = -0.5;
  const stats = thresholdStats(logits, truths, pixels, [-1, 0, 1]);

  it('per-image scores by hand', () => {
    expect(Array.from(perImageScoresFromStats(stats, 0))).toEqual([1, 0, 0.2, 1]);
    expect(Array.from(perImageScoresFromStats(stats, 1))).toEqual([1, 0, 0.5, 1]);
    expect(Array.from(perImageScoresFromStats(stats, 2))).toEqual([1, 1, 0, 1]);
  });

  it('mean per threshold by hand', () => {
    const m = meanScoreFromStats(stats);
    expect(m[0]).toBeCloseTo(2.2 / 4, 12);
    expect(m[1]).toBeCloseTo(2.5 / 4, 12);
    expect(m[2]).toBeCloseTo(3 / 4, 12);
  });

  it('minArea erases small predictions (area < minArea counts as empty)', () => {
    // minArea 3: image 1's 2-pixel false positive disappears (→ 1); image 2 at t=0 has area 3 (kept);
    // image 0 area 4 kept. At t=−1 image 2 keeps area 4.
    expect(Array.from(perImageScoresFromStats(stats, 1, 3))).toEqual([1, 1, 0.5, 1]);
    // minArea 4: image 2 at t=0 (area 3) is erased → 0
    expect(Array.from(perImageScoresFromStats(stats, 1, 4))).toEqual([1, 1, 0, 1]);
    // minArea 5 erases image 0's true mask too
    expect(Array.from(perImageScoresFromStats(stats, 0, 5))).toEqual([0, 1, 0, 1]);
    const m = meanScoreFromStats(stats, 3);
    expect(m[1]).toBeCloseTo(3.5 / 4, 12);
  });

  it('best threshold over a minArea grid', () => {
    const best = bestThresholdFromStats(stats, [0, 3, 4]);
    expect(best).toEqual({ thresholdIndex: 1, logitThreshold: 0, minArea: 3, score: 3.5 / 4 });
  });

  it('agrees with scoring the thresholded masks directly on random data', () => {
    const th = [-1.5, -0.25, 0, 0.75, 2];
    const { logits: l, truths: t } = randomCase(9, 20, 16, th);
    const s = thresholdStats(l, t, 16, th);
    for (const minArea of [0, 2, 6]) {
      const m = meanScoreFromStats(s, minArea);
      th.forEach((thr, j) => {
        let sum = 0;
        for (let i = 0; i < 20; i++) {
          let pa = 0;
          let ia = 0;
          let ta = 0;
          for (let p = i * 16; p < (i + 1) * 16; p++) {
            if (l[p] > thr) pa++;
            if (t[p]) ta++;
            if (l[p] > thr && t[p]) ia++;
          }
          sum += pa < minArea ? tgsImageScore(0, 0, ta) : tgsImageScore(ia, pa, ta);
        }
        expect(m[j]).toBeCloseTo(sum / 20, 12);
      });
    }
  });

  it('rejects bad indexes and minArea', () => {
    expect(() => perImageScoresFromStats(stats, 3)).toThrow(/thresholdIndex/);
    expect(() => perImageScoresFromStats(stats, 0, -1)).toThrow(/minArea/);
    expect(() => meanScoreFromStats(stats, NaN)).toThrow(/minArea/);
    expect(() => bestThresholdFromStats(stats, [])).toThrow(/minAreas/);
  });
});

/** Second method for objects: flood fill (8-connected) per mask, IoU in floating point, greedy matching. */
function naiveComponents(mask: (p: number) => boolean, h: number, w: number): number[][] {
  const seen = new Uint8Array(h * w);
  const objects: number[][] = [];
  for (let p = 0; p < h * w; p++) {
    if (!mask(p) || seen[p]) continue;
    const object: number[] = [];
    const stack = [p];
    seen[p] = 1;
    while (stack.length > 0) {
      const q = stack.pop() as number;
      object.push(q);
      const y = Math.floor(q / w);
      const x = q % w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const r = yy * w + xx;
          if (mask(r) && !seen[r]) {
            seen[r] = 1;
            stack.push(r);
          }
        }
      }
    }
    objects.push(object);
  }
  return objects;
}

function naiveF2(pred: number[][], truth: number[][]): number {
  if (pred.length === 0 && truth.length === 0) return 1;
  let sum = 0;
  for (const t of IOU_THRESHOLDS) {
    const used = new Set<number>();
    let tp = 0;
    for (const a of pred) {
      const sa = new Set(a);
      const match = truth.findIndex((b, k) => {
        if (used.has(k)) return false;
        const inter = b.filter((q) => sa.has(q)).length;
        return inter / (a.length + b.length - inter) > t;
      });
      if (match >= 0) {
        used.add(match);
        tp++;
      }
    }
    sum += (5 * tp) / (5 * tp + 4 * (truth.length - tp) + (pred.length - tp));
  }
  return sum / IOU_THRESHOLDS.length;
}

describe('other metrics from the same statistics', () => {
  const th = [-1.5, -0.25, 0, 0.75, 2];
  const h = 6;
  const w = 7;
  const px = h * w;
  /** Blobby truths (several objects per image, some empty) and logits that roughly follow them. */
  function blobCase(seed: number, n: number) {
    const r = rng(seed);
    const logits = new Float32Array(n * px);
    const truths = new Uint8Array(n * px);
    for (let i = 0; i < n; i++) {
      const blobs = i % 5 === 0 ? 0 : 1 + Math.floor(r() * 3);
      for (let b = 0; b < blobs; b++) {
        const y0 = Math.floor(r() * h);
        const x0 = Math.floor(r() * w);
        const bh = 1 + Math.floor(r() * 3);
        const bw = 1 + Math.floor(r() * 3);
        for (let y = y0; y < Math.min(h, y0 + bh); y++) for (let x = x0; x < Math.min(w, x0 + bw); x++) truths[i * px + y * w + x] = 1;
      }
      for (let p = 0; p < px; p++) logits[i * px + p] = (truths[i * px + p] ? 1 : -1) + (r() - 0.5) * 4;
    }
    return { logits, truths };
  }

  it.each([1, 2, 3])('dice matches scoring the thresholded masks directly (seed %d)', (seed) => {
    const { logits, truths } = blobCase(seed, 25);
    const s = thresholdStats(logits, truths, px, th, { metric: 'dice' });
    expect(s.metric).toBe('dice');
    for (const minArea of [0, 3]) {
      const m = meanScoreFromStats(s, minArea);
      th.forEach((thr, j) => {
        let sum = 0;
        for (let i = 0; i < 25; i++) {
          let pa = 0;
          let ia = 0;
          let ta = 0;
          for (let p = i * px; p < (i + 1) * px; p++) {
            if (logits[p] > thr) pa++;
            if (truths[p]) ta++;
            if (logits[p] > thr && truths[p]) ia++;
          }
          sum += pa < minArea ? (ta === 0 ? 1 : 0) : diceImageScore(ia, pa, ta);
        }
        expect(m[j]).toBeCloseTo(sum / 25, 12);
      });
    }
  });

  it.each([4, 5, 6])('f2-objects matches flood fill and greedy matching per threshold (seed %d)', (seed) => {
    const n = 30;
    const { logits, truths } = blobCase(seed, n);
    const s = thresholdStats(logits, truths, px, th, { metric: 'f2-objects', width: w });
    for (let i = 0; i < n; i++) {
      const truthObjects = naiveComponents((p) => truths[i * px + p] !== 0, h, w);
      expect(s.objects?.truthCount[i]).toBe(truthObjects.length);
      th.forEach((thr, j) => {
        const predObjects = naiveComponents((p) => logits[i * px + p] > thr, h, w);
        expect([i, j, s.objects?.predCount[i * th.length + j]]).toEqual([i, j, predObjects.length]);
        expect(s.objects?.score[i * th.length + j]).toBeCloseTo(naiveF2(predObjects, truthObjects), 12);
      });
    }
    // minArea empties the whole prediction: 1 on an image without ships, else 0
    const perImage = perImageScoresFromStats(s, 0, 1e6);
    for (let i = 0; i < n; i++) expect(perImage[i]).toBe(s.objects?.truthCount[i] === 0 ? 1 : 0);
    expect(allEmptyScoreFromStats(s)).toBeCloseTo(Array.from(s.objects?.truthCount ?? []).filter((c) => c === 0).length / n, 12);
  });

  it('f2-objects: true objects given as labels (touching ships stay apart)', () => {
    // one 2×4 image: two touching true objects (left and right halves); the prediction is their union
    const truths = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
    const labels = Int32Array.from([7, 7, 9, 9, 7, 7, 9, 9]);
    const logits = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
    const asRows = thresholdStats(logits, truths, 8, [0], { metric: 'f2-objects', width: 4, truthObjects: labels });
    // one predicted object vs two true ones, IoU 1/2 each: no hit, F2 0
    expect(asRows.objects?.truthCount[0]).toBe(2);
    expect(asRows.objects?.score[0]).toBe(0);
    // the same truth as one component: a perfect match
    const asMask = thresholdStats(logits, truths, 8, [0], { metric: 'f2-objects', width: 4 });
    expect(asMask.objects?.score[0]).toBe(1);
  });

  it('f2-objects: rejects a missing width and labels that disagree with the truth', () => {
    const l = new Float32Array(4);
    const t = Uint8Array.from([1, 0, 0, 0]);
    expect(() => thresholdStats(l, t, 4, [0], { metric: 'f2-objects' })).toThrow('width: the f2-objects metric needs the image width');
    expect(() => thresholdStats(l, t, 4, [0], { metric: 'f2-objects', width: 3 })).toThrow('width:');
    expect(() => thresholdStats(l, t, 4, [0], { metric: 'f2-objects', width: 2, truthObjects: [0, 1, 0, 0] })).toThrow('truthObjects: image 0 pixel 0');
  });

  it('the TGS statistics are unchanged by default', () => {
    const { logits, truths } = blobCase(7, 5);
    const plain = thresholdStats(logits, truths, px, th);
    expect(plain.metric).toBe('tgs-map');
    expect(plain.objects).toBeUndefined();
  });
});

describe('rankFinder', () => {
  it.each([
    ['evenly spaced', Array.from({ length: 100 }, (_, j) => -4 + (8 * j) / 99)],
    ['clustered', [-10, -9.999, -9.998, 0, 1e-9, 2e-9, 5, 1000]],
    ['single', [0.25]],
    ['extreme range', [-1.7e308, -1, 0, 1.7e308]],
  ])('counts thresholds strictly below v like a linear scan (%s)', (_name, list) => {
    const thresholds = Float64Array.from(list);
    const rank = rankFinder(thresholds);
    const r = rng(3);
    const probes = [NaN, -Infinity, Infinity, ...list, ...list.map((t) => t + 1e-12), ...list.map((t) => t - 1e-12)];
    for (let k = 0; k < 2000; k++) probes.push((r() - 0.5) * 30, list[Math.floor(r() * list.length)] + (r() - 0.5) * 1e-6);
    for (const v of probes) {
      const expected = list.filter((t) => t < v).length;
      expect([v, rank(v)]).toEqual([v, expected]);
    }
  });
});

describe('concatThresholdStats', () => {
  it('is the statistics of the whole set when its parts are its images', () => {
    // two 2×2 images, dice: per-image parts concatenated equal the two-image statistics
    const logits = Float32Array.from([2, -1, 0.5, -3, 1, 1, -2, 4]);
    const truths = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 1]);
    const thresholds = [-1.5, 0, 1.5];
    const whole = thresholdStats(logits, truths, 4, thresholds, { metric: 'dice' });
    const parts = [0, 1].map((i) => thresholdStats(logits.subarray(i * 4, i * 4 + 4), truths.subarray(i * 4, i * 4 + 4), 4, thresholds, { metric: 'dice' }));
    expect(concatThresholdStats(parts)).toEqual(whole);
  });

  it('keeps each image\'s pixel count when sizes differ, for coverage and the empty rule', () => {
    // a 1×2 image whose truth covers 1 of 2 pixels, and a 2×3 one whose truth covers 1 of 6
    const a = thresholdStats(Float32Array.from([1, -1]), Uint8Array.from([1, 0]), 2, [0], { metric: 'dice' });
    const b = thresholdStats(Float32Array.from([1, -1, -1, -1, -1, -1]), Uint8Array.from([1, 0, 0, 0, 0, 0]), 6, [0], { metric: 'dice' });
    const both = concatThresholdStats([a, b]);
    expect(Array.from(both.imagePixels!)).toEqual([2, 6]);
    expect(both.pixels).toBe(4);
    expect(Array.from(both.truthArea)).toEqual([1, 1]);
    // 50 % is class 5, 1/6 = 16.7 % is class 2
    expect(scoresByCoverage([1, 1], both.truthArea, both.imagePixels!).filter((b) => b.count > 0).map((b) => b.coverageClass)).toEqual([2, 5]);
    expect(() => concatThresholdStats([a, thresholdStats(Float32Array.from([1]), Uint8Array.from([1]), 1, [0.5], { metric: 'dice' })])).toThrow('part 1 has other thresholds');
  });
});
