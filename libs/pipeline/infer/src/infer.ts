import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '@segkit/data';
import { AtomicFileWriter, atomicWriteDir, NpyWriter, Progress, UserError, writeIdsFile } from '@segkit/io';
import type { InferenceModel, TtaPair } from '@segkit/models';
import { fillTemplate } from '@segkit/layouts';
import { loadFoldModels } from '@segkit/predict';
import { gateSaysEmpty, SubmissionLines } from '@segkit/submit';
import { readBundle, type Bundle } from './bundle';
import { BUNDLE_JSON, CONFIG_JSON, SUBMISSION_FALLBACK } from './bundle-schema';
import { CROP_BUNDLE_REFUSAL } from './bundle-run';
import { bundleImage, bundleMask, bundleTtas, ensembleLogitsAndGate, modelMismatch } from './predict';

export interface InferInput {
  bundleDir: string;
  imagesDir: string;
  /**
   * A path ending in `.csv`: an RLE CSV in the submission format; ending in `.npy`: the ensembled
   * logits (N, H, W) with the ids in `<name>-ids.txt` beside it; anything else: a folder of
   * `<id>.png` masks (0/255).
   */
  out: string;
  log?: (msg: string) => void;
  /** Images per chunk of work (rounded up to a multiple of the bundle's batch size); bounds memory. */
  chunkImages?: number;
}

export interface InferResult {
  out: string;
  images: number;
  nonEmpty: number;
}

/** The image files infer reads, by extension (what @segkit/data's decoders read). */
const IMAGE_EXTENSION = /\.(png|jpe?g|tiff?|dcm)$/i;

/**
 * The images of a folder, ids (file names without their extension) in code-unit order of their
 * file names, decoded with the bundle's channels (1: luminance, 3: RGB interleaved): every entry
 * must be a PNG, JPEG, TIFF or DICOM image of the bundle's image size, or of any size when
 * `resized` (each is then resized to the bundle's size and its own size kept in `sizes`); anything
 * else is a UserError naming the file.
 */
export async function loadImageFolder(dir: string, height: number, width: number, resized = false, channels: 1 | 3 = 1): Promise<{ ids: string[]; images: Uint8Array; sizes: Array<[number, number]> }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: images folder not found`);
  const names = readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) throw new UserError(`${p}: is a folder; the images folder must hold only images (.png, .jpg, .tif, .dcm)`);
    if (!IMAGE_EXTENSION.test(n)) throw new UserError(`${p}: not an image (.png, .jpg, .tif, .dcm); the images folder must hold only images`);
  }
  if (names.length === 0) throw new UserError(`${dir}: no images (.png, .jpg, .tif, .dcm)`);
  const ids = names.map((n) => n.replace(IMAGE_EXTENSION, ''));
  const seen = new Map<string, string>();
  ids.forEach((id, i) => {
    const other = seen.get(id);
    if (other !== undefined) throw new UserError(`${join(dir, names[i])}: same id "${id}" as ${join(dir, other)}`);
    seen.set(id, names[i]);
  });
  // What the models take, in the terms of @segkit/infer's bundleImage (the page brings its images to them with it too).
  const models = { height, width, ...(resized ? { input: { mode: 'resize' as const } } : {}) };
  const values = height * width * channels;
  const images = new Uint8Array(names.length * values);
  const sizes: Array<[number, number]> = [];
  const progress = new Progress('load images', names.length);
  for (let i = 0; i < names.length; i++) {
    const p = join(dir, names[i]);
    const image = await decodeImage(p, channels);
    let input: Uint8Array;
    try {
      input = bundleImage(models, image.data, image.height, image.width, channels);
    } catch (err) {
      throw new UserError(`${p}: ${(err as Error).message}`);
    }
    images.set(input, i * values);
    sizes.push([image.height, image.width]);
    progress.tick();
  }
  return { ids, images, sizes };
}

async function loadAllFolds(bundle: Bundle): Promise<InferenceModel[][]> {
  const folds: InferenceModel[][] = [];
  try {
    for (const f of bundle.info.folds) {
      const models = await loadFoldModels(bundle.modelDir(f.fold, ''), f.models);
      folds.push(models);
      for (const [k, m] of models.entries()) {
        const why = modelMismatch(bundle.info, m.spec);
        if (why) throw new UserError(`${bundle.modelDir(f.fold, f.models[k])}: ${why}`);
      }
    }
  } catch (err) {
    folds.flat().forEach((m) => m.dispose());
    throw err;
  }
  return folds;
}

/**
 * Predicts every image of a folder the way the pipeline predicted the test set: per fold the mean
 * over its models of the TTA-mean logits (same batches, same code), the folds combined by the
 * bundle's ensemble mode, then the tuned logit threshold and minimum area. Writes an RLE CSV in the
 * competition's submission format (bundle.json's `submission`, else TGS's; rows in file-name order),
 * the ensembled logits, or one mask PNG per image, atomically.
 */
export async function inferImages(input: InferInput): Promise<InferResult> {
  const log = input.log ?? (() => undefined);
  const bundle = readBundle(input.bundleDir);
  const { info } = bundle;
  if (bundle.config.input.mode === 'crop') throw new UserError(`${join(input.bundleDir, CONFIG_JSON)}: ${CROP_BUNDLE_REFUSAL}`);
  const { height, width } = info;
  let ttas: TtaPair[];
  try {
    ttas = bundleTtas(info);
  } catch (err) {
    throw new UserError(`${join(input.bundleDir, BUNDLE_JSON)}: ${(err as Error).message}`);
  }
  const asCsv = input.out.toLowerCase().endsWith('.csv');
  const asNpy = input.out.toLowerCase().endsWith('.npy');
  if (!asCsv && !asNpy && existsSync(input.out)) {
    if (!statSync(input.out).isDirectory()) throw new UserError(`${input.out}: exists and is not a folder (use a .csv path for an RLE CSV)`);
    // The mask folder is replaced as a whole: never a folder holding anything but masks.
    const foreign = readdirSync(input.out).filter((n) => !n.toLowerCase().endsWith('.png'));
    if (foreign.length > 0) throw new UserError(`${input.out}: holds files other than .png masks (${foreign[0]}); choose an empty or new folder`);
  }
  const resized = info.input?.mode === 'resize';
  const channels = info.channels ?? 1;
  const { ids, images, sizes } = await loadImageFolder(input.imagesDir, height, width, resized, channels);
  log(`${ids.length} ${channels === 3 ? 'RGB' : 'grey'} images ${resized ? `resized to ${height}×${width}` : `of ${height}×${width}`} from ${input.imagesDir}; ${info.folds.length} folds × ${info.folds[0].models.length} model(s), TTA ${info.tta.join(' + ')}, ${info.ensemble.mode}, logit threshold ${info.logitThreshold.toFixed(4)}, min area ${info.minArea}${info.topLogitThreshold === undefined ? '' : `, top logit threshold ${info.topLogitThreshold.toFixed(4)}`}${info.gateLogitThreshold === undefined ? '' : `, empty-mask gate at logit ${info.gateLogitThreshold.toFixed(4)}`}`);

  const pixels = height * width;
  // The CSV in the run's submission format, written by @segkit/submit's writer, ids spelled as the competition spells them.
  const submission = info.submission ?? SUBMISSION_FALLBACK;
  if (asCsv && !info.submission) log(`${join(input.bundleDir, BUNDLE_JSON)} records no submission format (a bundle written before it did): writing TGS's (id,rle_mask, column-major RLE, ids the file names without extension); run the pipeline's bundle step again for the competition's`);
  const csv = asCsv ? new SubmissionLines(submission.format, height, width, { logitThreshold: info.logitThreshold, minArea: info.minArea, topLogitThreshold: info.topLogitThreshold }) : undefined;
  // Rows go to the file a chunk at a time, renamed into place only when every image is written.
  const csvFile = csv ? new AtomicFileWriter(input.out) : undefined;
  csvFile?.write(`${csv?.header}\n`);
  const folds = await loadAllFolds(bundle);
  const bs = info.batchSize;
  const chunk = Math.max(1, Math.ceil((input.chunkImages ?? 256) / bs)) * bs;
  const masks: Uint8Array[] = [];
  let nonEmpty = 0;
  const npy = asNpy ? new NpyWriter(input.out, [ids.length, height, width]) : undefined;
  try {
    const progress = new Progress('infer', ids.length);
    let mask = new Uint8Array(pixels);
    for (let start = 0; start < ids.length; start += chunk) {
      const idx = Array.from({ length: Math.min(chunk, ids.length - start) }, (_, k) => start + k);
      const { logits: combined, gate } = ensembleLogitsAndGate(folds, images, idx, info, ttas);
      npy?.write(combined);
      const lines: string[] = [];
      idx.forEach((i, k) => {
        if (csv) {
          const gated = gateSaysEmpty(gate?.[k], info.gateLogitThreshold);
          lines.push(...csv.add(fillTemplate(submission.id, ids[i]), combined.subarray(k * pixels, (k + 1) * pixels), resized ? sizes[i] : undefined, gated));
          return;
        }
        // A resizing bundle's masks have each image's own size; its .npy logits stay at the models' size, as the pipeline's.
        const [h, w] = sizes[i];
        if (mask.length !== h * w) mask = new Uint8Array(h * w);
        const { area } = bundleMask(combined.subarray(k * pixels, (k + 1) * pixels), ids[i], info, mask, {}, resized ? sizes[i] : undefined, gate?.[k]);
        if (area > 0) nonEmpty++;
        if (!asNpy) masks.push(mask.slice());
      });
      csvFile?.write(lines.map((l) => `${l}\n`).join(''));
      progress.tick(idx.length);
    }
    npy?.commit();
    csvFile?.commit();
  } catch (err) {
    npy?.abort();
    csvFile?.abort();
    throw err;
  } finally {
    folds.flat().forEach((m) => m.dispose());
  }

  if (asNpy) {
    writeIdsFile(`${input.out.slice(0, -'.npy'.length)}-ids.txt`, ids);
  } else if (csv) {
    nonEmpty = csv.nonEmpty;
  } else {
    await atomicWriteDir(input.out, async (tmp) => {
      for (let i = 0; i < ids.length; i++) {
        const png = Buffer.from(masks[i].map((v) => v * 255));
        const [h, w] = sizes[i];
        await sharp(png, { raw: { width: w, height: h, channels: 1 } }).png().toFile(join(tmp, `${ids[i]}.png`));
      }
    });
  }
  log(`${ids.length} images (${nonEmpty} with a non-empty mask)${csv ? `, ${csv.rows} rows as ${submission.format.header.join(',')}` : ''} → ${input.out}`);
  return { out: input.out, images: ids.length, nonEmpty };
}
