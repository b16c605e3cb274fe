/**
 * The files @segkit/pseudo owns in a later round's work directory, `<round>/pseudo/` (paths from
 * @segkit/run's layout): the selected test images (`images.npy`, float32 0..255, (N, H, W) or
 * (N, H, W, C)), their masks (`masks.npy`, float32 0/1, (N, H, W)), their ids (`ids.txt`) and
 * `pseudo.json`, written last, with the fingerprint of all three. Nobody else parses them: the
 * reader checks every array against the record and the content against its fingerprint, so a
 * damaged, truncated or foreign file is a UserError naming the file.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { readIdsFile, readJsonArtifact, readNpy, UserError, writeIdsFile, writeJsonArtifact, writeNpy } from '@segkit/io';
import { runLayout } from '@segkit/run';

const PRODUCER = 'pseudo';

/** The pseudo-label files of a round's work directory (@segkit/run's roundWorkDir). */
export function pseudoPaths(roundDir: string) {
  return runLayout(roundDir).pseudo;
}

/** Test images with predicted masks, to train on beside the train images. */
export interface PseudoLabels {
  ids: string[];
  height: number;
  width: number;
  /** Channels per pixel of `images` (interleaved, as @segkit/data's ImageSet). */
  channels: 1 | 3;
  /** N·H·W·channels luminance or RGB values 0..255, image by image. */
  images: Uint8Array;
  /** N·H·W values 0/1. */
  masks: Uint8Array;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha-256 in hex');
const count = z.number().int().nonnegative();

export const pseudoRecordSchema = z
  .object({
    /** The round that trains on these labels (≥ 1); they come from round − 1's ensemble. */
    round: z.number().int().positive(),
    minConfidence: z.number().gt(0).max(1),
    /** The probabilities below and above which a pixel counts as confident. */
    confidentBelow: z.number().gt(0).lt(1),
    confidentAbove: z.number().gt(0).lt(1),
    /** Test images the selection looked at, and those chosen (and of them, those with an empty mask). */
    nTest: count,
    nSelected: count,
    nEmpty: count,
    /** The mean confident share over every test image. */
    meanShare: z.number().min(0).max(1),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    channels: z.union([z.literal(1), z.literal(3)]),
    /** The fingerprint of the ensemble they were selected from. */
    source: sha256,
    /** sha-256 of the size, ids, images and masks: what a round's training is keyed by. */
    fingerprint: sha256,
  })
  .strict();
export type PseudoRecord = z.infer<typeof pseudoRecordSchema>;

/** sha-256 of pseudo-labels' size, ids, images and masks. */
export function pseudoFingerprint(labels: PseudoLabels): string {
  return createHash('sha256')
    .update(`${labels.height}x${labels.width}x${labels.channels}\n`)
    .update(labels.ids.join('\n'))
    .update('\n')
    .update(labels.images)
    .update(labels.masks)
    .digest('hex');
}

function imageShape(l: { height: number; width: number; channels: 1 | 3 }, n: number): number[] {
  return l.channels === 1 ? [n, l.height, l.width] : [n, l.height, l.width, l.channels];
}

/** Checks the arrays' lengths against the ids and size (a bug in the caller otherwise). */
function checkLabels(labels: PseudoLabels): void {
  const n = labels.ids.length;
  const pixels = labels.height * labels.width;
  if (labels.images.length !== n * pixels * labels.channels) throw new Error(`pseudo-labels: ${labels.images.length} image values for ${n} images of ${labels.height}×${labels.width}×${labels.channels}`);
  if (labels.masks.length !== n * pixels) throw new Error(`pseudo-labels: ${labels.masks.length} mask values for ${n} images of ${labels.height}×${labels.width}`);
}

/**
 * Writes a round's pseudo-labels (each file atomically, `pseudo.json` last, after removing the old
 * one, so a kill leaves no record naming half-written arrays) and returns the record.
 */
export function writePseudoLabels(roundDir: string, labels: PseudoLabels, about: Omit<PseudoRecord, 'nSelected' | 'nEmpty' | 'height' | 'width' | 'channels' | 'fingerprint'>): PseudoRecord {
  checkLabels(labels);
  const paths = pseudoPaths(roundDir);
  rmSync(paths.record, { force: true });
  const n = labels.ids.length;
  const pixels = labels.height * labels.width;
  writeNpy(paths.images, Float32Array.from(labels.images), imageShape(labels, n));
  writeNpy(paths.masks, Float32Array.from(labels.masks), [n, labels.height, labels.width]);
  writeIdsFile(paths.ids, labels.ids);
  let nEmpty = 0;
  for (let i = 0; i < n; i++) if (!labels.masks.subarray(i * pixels, (i + 1) * pixels).some((v) => v !== 0)) nEmpty++;
  const record: PseudoRecord = { ...about, nSelected: n, nEmpty, height: labels.height, width: labels.width, channels: labels.channels, fingerprint: pseudoFingerprint(labels) };
  writeJsonArtifact(paths.record, pseudoRecordSchema, record, PRODUCER);
  return record;
}

/** A round's `pseudo.json`, validated (no arrays read). */
export function readPseudoRecord(roundDir: string): PseudoRecord {
  return readJsonArtifact(pseudoPaths(roundDir).record, pseudoRecordSchema, PRODUCER);
}

function readArray(path: string, shape: number[], what: string, valid: (v: number) => boolean): Uint8Array {
  const { shape: got, data } = readNpy(path);
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) throw new UserError(`${path}: shape (${got.join(', ')}), expected (${shape.join(', ')}) as its pseudo.json says; rerun the pseudo step`);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    if (!valid(data[i])) throw new UserError(`${path}: value ${data[i]} at index ${i} is not ${what}; rerun the pseudo step`);
    out[i] = data[i];
  }
  return out;
}

/**
 * A round's pseudo-labels, checked: the ids and both arrays against `pseudo.json`, image values
 * integers 0..255, mask values 0/1, and the content against the record's fingerprint.
 */
export function readPseudoLabels(roundDir: string): { record: PseudoRecord; labels: PseudoLabels } {
  const paths = pseudoPaths(roundDir);
  const record = readPseudoRecord(roundDir);
  const ids = readIdsFile(paths.ids, PRODUCER);
  if (ids.length !== record.nSelected) throw new UserError(`${paths.ids}: ${ids.length} ids, but pseudo.json says nSelected ${record.nSelected}; rerun the pseudo step`);
  const images = readArray(paths.images, imageShape(record, ids.length), 'an integer 0..255', (v) => Number.isInteger(v) && v >= 0 && v <= 255);
  const masks = readArray(paths.masks, [ids.length, record.height, record.width], '0 or 1', (v) => v === 0 || v === 1);
  const labels: PseudoLabels = { ids, height: record.height, width: record.width, channels: record.channels, images, masks };
  if (pseudoFingerprint(labels) !== record.fingerprint) throw new UserError(`${paths.dir}: its files do not match the fingerprint in pseudo.json; rerun the pseudo step`);
  return { record, labels };
}
