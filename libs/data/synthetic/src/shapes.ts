/**
 * Each synthetic competition's own shapes, small and fast to render, so a model has something of
 * that competition's character to learn: Airbus ships (thin, separate rectangles on a noisy sea,
 * most images empty), a Carvana car (one large ellipse, never empty), SIIM-ACR pneumothorax
 * (about 78 % empty, else one or two dark regions inside a chest-like gradient). The TGS and
 * folder-pair competitions use the salt renderer of ./render.
 */
import { Rng } from '@segkit/random';
import { renderSample } from './render';

export interface LayoutSample {
  /** Grey image, row-major, 0..255. */
  image: Uint8Array;
  /** Union of the objects, 0/1. */
  mask: Uint8Array;
  /** Each object's own 0/1 mask (several CSV rows for layouts that keep objects apart). */
  objects: Uint8Array[];
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function ellipse(size: number, cy: number, cx: number, ry: number, rx: number): Uint8Array {
  const m = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dy = (y - cy) / ry;
      const dx = (x - cx) / rx;
      if (dx * dx + dy * dy <= 1) m[y * size + x] = 1;
    }
  }
  return m;
}

/** Up to 3 axis-aligned ships, each at least one pixel away from the others (objects never touch). */
function airbus(rng: Rng, size: number): LayoutSample {
  const image = new Uint8Array(size * size);
  const phase = rng.uniform(0, Math.PI * 2);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) image[y * size + x] = clamp(60 + 12 * Math.sin(phase + (x + y) / 5) + rng.normal() * 8);
  const objects: Uint8Array[] = [];
  const taken = new Uint8Array(size * size);
  const ships = rng.chance(0.5) ? 0 : rng.int(1, 3);
  for (let s = 0, tries = 0; s < ships && tries < 50; tries++) {
    const long = rng.int(Math.max(3, Math.floor(size / 10)), Math.max(4, Math.floor(size / 4)));
    const wide = rng.int(2, Math.max(2, Math.floor(size / 16)));
    const vertical = rng.chance(0.5);
    const [h, w] = vertical ? [long, wide] : [wide, long];
    const y0 = rng.int(1, size - h - 1);
    const x0 = rng.int(1, size - w - 1);
    let free = true;
    for (let y = y0 - 1; y <= y0 + h && free; y++) for (let x = x0 - 1; x <= x0 + w; x++) if (taken[y * size + x]) free = false;
    if (!free) continue;
    const m = new Uint8Array(size * size);
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) m[y * size + x] = taken[y * size + x] = 1;
    objects.push(m);
    s++;
  }
  const mask = new Uint8Array(size * size);
  for (const m of objects) for (let i = 0; i < m.length; i++) if (m[i]) mask[i] = 1;
  for (let i = 0; i < mask.length; i++) if (mask[i]) image[i] = clamp(190 + rng.normal() * 15);
  return { image, mask, objects };
}

/** One car: a large ellipse (dark paint) on a bright studio background. */
function carvana(rng: Rng, size: number): LayoutSample {
  const mask = ellipse(size, size * rng.uniform(0.45, 0.55), size * rng.uniform(0.45, 0.55), size * rng.uniform(0.2, 0.3), size * rng.uniform(0.3, 0.4));
  const paint = rng.uniform(40, 110);
  const image = new Uint8Array(size * size);
  for (let i = 0; i < image.length; i++) image[i] = clamp((mask[i] ? paint : 200) + rng.normal() * 10);
  return { image, mask, objects: [mask] };
}

/** A chest-like gradient; 22 % of images have one or two dark regions near the edges of the lungs. */
function siim(rng: Rng, size: number): LayoutSample {
  const image = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const lung = Math.abs(x - size / 2) / (size / 2);
      image[y * size + x] = clamp(150 - 60 * Math.sin(Math.PI * lung) + rng.normal() * 6);
    }
  }
  const objects: Uint8Array[] = [];
  if (rng.chance(0.22)) {
    const regions = rng.chance(0.7) ? 1 : 2;
    for (let r = 0; r < regions; r++) {
      const left = r === 0 ? rng.chance(0.5) : true;
      const cx = size * (left ? rng.uniform(0.15, 0.3) : rng.uniform(0.7, 0.85));
      const m = ellipse(size, size * rng.uniform(0.25, 0.6), cx, size * rng.uniform(0.08, 0.18), size * rng.uniform(0.04, 0.08));
      if (r === 1) for (let i = 0; i < m.length; i++) if (objects[0][i]) m[i] = 0;
      objects.push(m);
    }
  }
  const mask = new Uint8Array(size * size);
  for (const m of objects) for (let i = 0; i < m.length; i++) if (m[i]) mask[i] = 1;
  for (let i = 0; i < mask.length; i++) if (mask[i]) image[i] = clamp(image[i] - 45);
  return { image, mask, objects };
}

/** The salt renderer of ./render, for TGS and the folder pair. */
function salt(seed: number, size: number): LayoutSample {
  const { image, mask } = renderSample(seed, size);
  return { image, mask, objects: mask.some((v) => v) ? [mask] : [] };
}

/** Each built-in layout's shapes. */
const SHAPES: Record<string, (seed: number, size: number) => LayoutSample> = {
  tgs: salt,
  airbus: (seed, size) => airbus(new Rng(seed), size),
  carvana: (seed, size) => carvana(new Rng(seed), size),
  siim: (seed, size) => siim(new Rng(seed), size),
  folders: salt,
};

/** A sample of the named competition, deterministic in `seed` (a layout without shapes of its own gets salt). */
export function renderLayoutSample(layout: string, seed: number, size: number): LayoutSample {
  return (SHAPES[layout] ?? salt)(seed, size);
}
