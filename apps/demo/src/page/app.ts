/// <reference lib="dom" />
/**
 * The demo page (bundled for the browser by ../site.ts). It loads the bundle next to it, checks
 * every file against the manifest, builds the folds' models with stock @tensorflow/tfjs, and runs
 * @segkit/infer's own inference (`ensembleLogitsAndGate`, `bundleMask`) on the images a user drops: the
 * same preprocessing, TTA, fold ensemble, threshold and minimum area as `npm run infer`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { luminanceFromSamples, rgbFromSamples } from '@segkit/data';
import { BUNDLE_JSON, bundleImage, bundleMask, bundleModelPath, bundleSchema, bundleTtas, ensembleLogitsAndGate, manifestSchema, MANIFEST_JSON, modelMismatch, type BundleInfo } from '@segkit/infer';
import { sigmoid } from '@segkit/metrics';
import { inferenceModel, inferenceSpecSchema, type InferenceModel, type TtaPair } from '@segkit/models';
import { decodeSamples, IMAGE_FILES } from './decode';

interface Loaded {
  info: BundleInfo;
  folds: InferenceModel[][];
  ttas: TtaPair[];
}

interface ImageResult {
  id: string;
  /** The image's own size (a resizing bundle takes any). */
  height: number;
  width: number;
  /** The luminance plane at its own size, as shown. */
  pixels: Uint8Array;
  /** The ensembled logits at the models' size, as `npm run infer --out x.npy` writes them. */
  logits: Float32Array;
  /** The ensembled empty-mask gate logit, when the bundle's models have a gate. */
  gateLogit?: number;
  mask: Uint8Array;
  rle: string;
  area: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const results = new Map<string, ImageResult>();
const post = { logitThreshold: 0, minArea: 0 };
let loaded: Loaded | undefined;
let backend = '';

/** An error the user can act on, shown on the page (and in the console). */
function showError(message: string): void {
  const line = document.createElement('div');
  line.textContent = message;
  $('errors').append(line);
  console.error(message);
}

function setStatus(text: string, state: string): void {
  $('status').textContent = text;
  document.body.dataset.state = state;
}

async function fetchBytes(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${res.statusText || 'cannot load'}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (!crypto.subtle) throw new Error('the bundle\'s checksums can only be checked in a secure context (https, or http on localhost)');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function parseJson(path: string, bytes: Uint8Array | undefined): unknown {
  if (!bytes) throw new Error(`${path}: missing; the bundle is incomplete`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** The first problem of a failed zod parse, as `file: field: message`. */
function zodError(path: string, error: { issues: { path: (string | number)[]; message: string }[] }): Error {
  const issue = error.issues[0];
  return new Error(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** WebGL, else wasm, else cpu (or the one `?backend=` names); which one ran, and why the others did not. */
async function chooseBackend(): Promise<string> {
  setWasmPaths('wasm/');
  const asked = new URLSearchParams(location.search).get('backend');
  const order = asked ? [asked] : ['webgl', 'wasm', 'cpu'];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return skipped.length > 0 ? `${name} (${skipped.join('; ')})` : name;
      }
      skipped.push(`${name} did not load`);
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend could load: ${skipped.join('; ')}`);
}

/** The bundle beside the page, every file checked against manifest.json, its models built. */
async function loadBundle(): Promise<Loaded> {
  const manifestPath = `bundle/${MANIFEST_JSON}`;
  const manifest = manifestSchema.safeParse(parseJson(manifestPath, await fetchBytes(manifestPath)));
  if (!manifest.success) throw zodError(manifestPath, manifest.error);
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const f of manifest.data.files) {
    const bytes = await fetchBytes(`bundle/${f.path}`);
    if (bytes.length !== f.bytes || (await sha256(bytes)) !== f.sha256) {
      throw new Error(`bundle/${f.path}: checksum mismatch (${bytes.length} bytes, manifest says ${f.bytes}); the bundle is corrupt or was modified`);
    }
    files.set(f.path, bytes);
  }
  const infoPath = `bundle/${BUNDLE_JSON}`;
  const parsed = bundleSchema.safeParse(parseJson(infoPath, files.get(BUNDLE_JSON)));
  if (!parsed.success) throw zodError(infoPath, parsed.error);
  const info = parsed.data;
  let ttas: TtaPair[];
  try {
    ttas = bundleTtas(info);
  } catch (err) {
    throw new Error(`${infoPath}: ${(err as Error).message}`);
  }
  const folds: InferenceModel[][] = [];
  for (const f of info.folds) {
    const models: InferenceModel[] = [];
    for (const name of f.models) {
      const dir = bundleModelPath(f.fold, name);
      const json = parseJson(`bundle/${dir}/model.json`, files.get(`${dir}/model.json`)) as {
        modelTopology: object;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
        userDefinedMetadata?: { tgsInference?: unknown };
      };
      const spec = inferenceSpecSchema.safeParse(json.userDefinedMetadata?.tgsInference);
      if (!spec.success) throw zodError(`bundle/${dir}/model.json (userDefinedMetadata.tgsInference)`, spec.error);
      const why = modelMismatch(info, spec.data);
      if (why) throw new Error(`bundle/${dir}: ${why}`);
      const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => {
        const bytes = files.get(`${dir}/${p}`);
        if (!bytes) throw new Error(`bundle/${dir}/${p}: missing; the bundle is incomplete`);
        return bytes;
      });
      const weightData = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
      shards.reduce((at, s) => (weightData.set(s, at), at + s.length), 0);
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: weightData.buffer }));
      models.push(inferenceModel(model, spec.data));
    }
    folds.push(models);
  }
  return { info, folds, ttas };
}

interface DecodedFile {
  id: string;
  /** The luminance plane at the image's own size, as shown. */
  plane: Uint8Array;
  height: number;
  width: number;
  /**
   * The image as the models read it: the luminance plane, or RGB for a colour bundle, through
   * @segkit/infer's bundleImage (resized when the bundle resizes).
   */
  input: Uint8Array;
}

/**
 * A dropped file as `npm run infer` reads it from the same file: decoded by ./decode (@segkit/data's
 * decoders), then @segkit/data's luminance rule (or its RGB rule for a colour bundle), then brought
 * to the models' size by @segkit/infer's `bundleImage`; anything else is an Error naming the file.
 */
async function decodeImage(file: File, info: BundleInfo): Promise<DecodedFile> {
  const { samples, channels, height, width } = await decodeSamples(new Uint8Array(await file.arrayBuffer()), file.name);
  const plane = luminanceFromSamples(samples, channels, height * width);
  const colour = (info.channels ?? 1) === 3;
  let input: Uint8Array;
  try {
    input = bundleImage(info, colour ? rgbFromSamples(samples, channels, height * width) : plane, height, width, colour ? 3 : 1);
  } catch (err) {
    throw new Error(`${file.name}: ${(err as Error).message}`);
  }
  return { id: file.name.replace(IMAGE_FILES, ''), plane, height, width, input };
}

/** Predicts the dropped files that decode; the others are errors on the page. */
async function addImages(fileList: FileList | File[]): Promise<void> {
  if (!loaded) return;
  const { info, folds, ttas } = loaded;
  const pixels = info.height * info.width;
  const ok: DecodedFile[] = [];
  for (const file of Array.from(fileList)) {
    try {
      ok.push(await decodeImage(file, info));
    } catch (err) {
      showError((err as Error).message);
    }
  }
  if (ok.length > 0) {
    setStatus(`${statusLine()} — predicting ${ok.length} image(s)…`, 'busy');
    await new Promise((r) => setTimeout(r, 0));
    const values = pixels * (info.channels ?? 1);
    const images = new Uint8Array(ok.length * values);
    ok.forEach((o, i) => images.set(o.input, i * values));
    try {
      const { logits, gate } = ensembleLogitsAndGate(folds, images, ok.map((_, i) => i), info, ttas);
      ok.forEach((o, i) => {
        const { id, height, width, plane } = o;
        results.set(id, { id, height, width, pixels: plane, logits: logits.slice(i * pixels, (i + 1) * pixels), gateLogit: gate?.[i], mask: new Uint8Array(height * width), rle: '', area: 0 });
      });
    } catch (err) {
      showError(`prediction failed on the ${backend} backend: ${(err as Error).message}`);
    }
  }
  render();
  setStatus(statusLine(), 'ready');
  document.body.dataset.processed = String(Number(document.body.dataset.processed ?? 0) + Array.from(fileList).length);
}

function statusLine(): string {
  if (!loaded) return '';
  const { info } = loaded;
  const models = info.folds.reduce((n, f) => n + f.models.length, 0);
  return `backend: ${backend} · ${info.folds.length} fold(s), ${models} model(s) · ${info.input ? `any size, resized to ${info.height}×${info.width}` : `${info.height}×${info.width}`} · TTA ${info.tta.join(' + ')} · ${info.ensemble.mode} · ${results.size} image(s)`;
}

/** The logits' histogram as an SVG: 40 bins over the image's own range, the threshold as a line. */
function histogram(logits: Float32Array, threshold: number): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 200 70');
  svg.setAttribute('preserveAspectRatio', 'none');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of logits) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  lo = Math.min(lo, threshold);
  hi = Math.max(hi, threshold, lo + 1e-6);
  const bins = new Array<number>(40).fill(0);
  for (const v of logits) bins[Math.min(39, Math.floor(((v - lo) / (hi - lo)) * 40))]++;
  const top = Math.max(...bins);
  bins.forEach((c, i) => {
    const h = top > 0 ? (60 * Math.log1p(c)) / Math.log1p(top) : 0;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', String(i * 5));
    r.setAttribute('y', String(60 - h));
    r.setAttribute('width', '4.5');
    r.setAttribute('height', String(h));
    r.setAttribute('fill', lo + ((i + 0.5) * (hi - lo)) / 40 > threshold ? '#d33' : '#888');
    svg.append(r);
  });
  const x = ((threshold - lo) / (hi - lo)) * 200;
  const line = document.createElementNS(ns, 'line');
  for (const [k, v] of [['x1', x], ['x2', x], ['y1', 0], ['y2', 60], ['stroke', '#000'], ['stroke-width', 1]] as const) line.setAttribute(k, String(v));
  svg.append(line);
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', '0');
  label.setAttribute('y', '69');
  label.setAttribute('font-size', '8');
  label.textContent = `logits ${lo.toFixed(1)} … ${hi.toFixed(1)} (log counts)`;
  svg.append(label);
  return svg;
}

/** Every image with its mask at the sliders' threshold and minimum area. */
function render(): void {
  if (!loaded) return;
  const { info } = loaded;
  const container = $('results');
  container.replaceChildren();
  for (const r of [...results.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const { height, width } = r;
    // At the image's own size: a resizing bundle's logits are brought back to it first, as npm run infer does.
    // A gated bundle empties the image whose gate logit is at or below its tuned gate threshold, as npm run infer does.
    const decided = bundleMask(r.logits, r.id, info, r.mask, post, [height, width], r.gateLogit);
    r.rle = decided.rle;
    r.area = decided.area;
    const card = document.createElement('div');
    card.className = 'card';
    card.dataset.id = r.id;
    card.dataset.rle = r.rle;
    card.dataset.area = String(r.area);
    const title = document.createElement('h2');
    title.textContent = r.id;
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(width, height);
      for (let p = 0; p < height * width; p++) {
        const g = r.pixels[p];
        const m = r.mask[p];
        img.data.set(m ? [Math.round(0.55 * g + 0.45 * 230), Math.round(0.55 * g + 0.45 * 40), Math.round(0.55 * g + 0.45 * 40), 255] : [g, g, g, 255], p * 4);
      }
      ctx.putImageData(img, 0, 0);
    }
    const area = document.createElement('div');
    area.className = 'area';
    area.textContent = `mask area ${r.area} px (${((100 * r.area) / (height * width)).toFixed(1)}%)`;
    card.append(title, canvas, area, histogram(r.logits, post.logitThreshold));
    container.append(card);
  }
}

function setupControls(info: BundleInfo): void {
  const threshold = $<HTMLInputElement>('threshold');
  const minArea = $<HTMLInputElement>('min-area');
  threshold.min = String(Math.floor(Math.min(-8, info.logitThreshold - 4)));
  threshold.max = String(Math.ceil(Math.max(8, info.logitThreshold + 4)));
  threshold.step = '0.01';
  minArea.max = String(Math.max(100, 4 * info.minArea, Math.round((info.height * info.width) / 20)));
  const show = () => {
    $('threshold-value').textContent = `${post.logitThreshold.toFixed(2)} (p ${sigmoid(post.logitThreshold).toFixed(3)})`;
    $('min-area-value').textContent = `${post.minArea} px`;
  };
  const reset = () => {
    post.logitThreshold = info.logitThreshold;
    post.minArea = info.minArea;
    threshold.value = String(info.logitThreshold);
    minArea.value = String(info.minArea);
    show();
    render();
  };
  threshold.addEventListener('input', () => {
    post.logitThreshold = Number(threshold.value);
    show();
    render();
  });
  minArea.addEventListener('input', () => {
    post.minArea = Number(minArea.value);
    show();
    render();
  });
  $('reset').addEventListener('click', reset);
  reset();
}

function setupDrop(): void {
  const drop = $('drop');
  const input = $<HTMLInputElement>('files');
  input.addEventListener('change', () => {
    if (input.files) void addImages(input.files).finally(() => (input.value = ''));
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer?.files) void addImages(e.dataTransfer.files);
  });
}

/** What a test (or a curious user in the console) reads back: each image's id, RLE, area and logits. */
(window as unknown as { tgsDemo: unknown }).tgsDemo = {
  results: () => [...results.values()].map((r) => ({ id: r.id, rle: r.rle, area: r.area, logits: Array.from(r.logits) })),
  backend: () => backend,
};

async function start(): Promise<void> {
  try {
    backend = await chooseBackend();
  } catch (err) {
    showError((err as Error).message);
    setStatus('no backend: the page cannot predict', 'failed');
    return;
  }
  setStatus(`backend: ${backend} · loading the bundle…`, 'loading');
  try {
    loaded = await loadBundle();
  } catch (err) {
    showError((err as Error).message);
    setStatus(`backend: ${backend} · the bundle did not load`, 'failed');
    return;
  }
  setupControls(loaded.info);
  setupDrop();
  setStatus(statusLine(), 'ready');
}

void start();
