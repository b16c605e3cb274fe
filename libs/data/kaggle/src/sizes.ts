import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import type { LayoutDescriptor } from '@segkit/layouts';
import { resolveLayout } from './detect';
import { listFiles } from './files';
import { isDir } from './layout';

export interface ImageSize {
  height: number;
  width: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Height and width from a PNG's IHDR chunk without decoding it (PNG spec §11.2.2: the chunk
 * follows the 8-byte signature; width at bytes 16–19 and height at 20–23, big-endian). Undefined
 * when the file is unreadable or not a PNG: the decoder reports those with its own message.
 */
export function pngSize(file: string): ImageSize | undefined {
  const head = readHead(file, 24);
  if (!head) return undefined;
  return pngSizeOf(head);
}

function readHead(file: string, bytes: number): Buffer | undefined {
  const head = Buffer.alloc(bytes);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  return head.subarray(0, n);
}

function pngSizeOf(head: Buffer): ImageSize | undefined {
  if (head.length < 24 || PNG_SIGNATURE.some((b, i) => head[i] !== b) || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** GIF logical screen size (GIF89a §18: little-endian width and height at bytes 6–9). */
function gifSizeOf(head: Buffer): ImageSize | undefined {
  if (head.length < 10 || !/^GIF8[79]a$/.test(head.toString('latin1', 0, 6))) return undefined;
  return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
}

/**
 * JPEG frame size: walk the marker segments to the first start-of-frame (SOF0–SOF15 except DHT
 * C4, JPG C8 and DAC CC), whose payload holds precision, then height and width (big-endian).
 */
function jpegSizeOf(head: Buffer): ImageSize | undefined {
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 9 < head.length) {
    if (head[p] !== 0xff) return undefined;
    const marker = head[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    const length = head.readUInt16BE(p + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: head.readUInt16BE(p + 5), width: head.readUInt16BE(p + 7) };
    }
    p += 2 + length;
  }
  return undefined;
}

/**
 * An image's size from its header alone (PNG, GIF, JPEG: the first 64 KiB are read), undefined
 * for other formats (TIFF, DICOM: their decoder checks the size) and unreadable files.
 */
export function imageSize(file: string): ImageSize | undefined {
  if (/\.png$/i.test(file)) return pngSize(file);
  if (!/\.(gif|jpe?g)$/i.test(file)) return undefined;
  const head = readHead(file, 65536);
  if (!head) return undefined;
  return gifSizeOf(head) ?? jpegSizeOf(head);
}

export function formatSize(s: ImageSize): string {
  return `${s.height}x${s.width}`;
}

/** The most frequent size among `files` (ties: the one seen first), with one file of it. */
export function majoritySize(files: string[], sizeOf: (file: string) => ImageSize | undefined = imageSize): { size: ImageSize; example: string } | undefined {
  const counts = new Map<string, { size: ImageSize; example: string; count: number }>();
  for (const file of files) {
    const size = sizeOf(file);
    if (!size) continue;
    const key = formatSize(size);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { size, example: file, count: 1 });
  }
  let best: { size: ImageSize; example: string; count: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best && { size: best.size, example: best.example };
}

/**
 * The first of `files` whose size is not the most frequent one, so that one odd image is the one
 * blamed even when it comes first. Files without a readable PNG header are skipped.
 */
export function oddSizedFile(files: string[], sizeOf: (file: string) => ImageSize | undefined = imageSize): { file: string; size: ImageSize; expected: ImageSize; example: string } | undefined {
  const majority = majoritySize(files, sizeOf);
  if (!majority) return undefined;
  const want = formatSize(majority.size);
  for (const file of files) {
    const size = sizeOf(file);
    if (size && formatSize(size) !== want) return { file, size, expected: majority.size, example: majority.example };
  }
  return undefined;
}

/** The one-line error for an image whose size differs from the others of its set. */
export function oddSizeError(odd: { file: string; size: ImageSize; expected: ImageSize; example: string }): UserError {
  return new UserError(
    `${odd.file} is ${formatSize(odd.size)} (HxW) but the other images are ${formatSize(odd.expected)} (e.g. ${odd.example}): all images must have the same size`,
  );
}

/**
 * Preflight size check of a competition folder from the image headers alone (PNG, GIF, JPEG; about
 * a millisecond per hundred PNGs; other formats are checked when decoded): every train image and mask has the train images' common size, every test image
 * has the test images' common size, and the two agree. Throws a {@link UserError} naming the
 * offending file and both sizes.
 */
export function checkImageSizes(dataDir: string, layout?: LayoutDescriptor): ImageSize | undefined {
  const l = resolveLayout(dataDir, layout);
  const files = (set: { dir: string; files: string[]; recursive: boolean } | undefined) => {
    if (!set || !isDir(join(dataDir, set.dir))) return [];
    const listed = listFiles(dataDir, set);
    return listed.stems.map((s) => listed.fileOf.get(s) as string);
  };
  const trainImages = files(l.train.images);
  const trainMasks = files(l.train.masks.files);
  const testImages = files(l.test.images);
  const sizes = new Map<string, ImageSize | undefined>();
  const sizeOf = (file: string) => {
    if (!sizes.has(file)) sizes.set(file, imageSize(file));
    return sizes.get(file);
  };
  const train = majoritySize(trainImages, sizeOf);
  const test = majoritySize(testImages, sizeOf);
  // The masks are held to the images' common size (the masks do not vote).
  if (train) {
    const want = formatSize(train.size);
    for (const file of [...trainImages, ...trainMasks]) {
      const size = sizeOf(file);
      if (size && formatSize(size) !== want) throw oddSizeError({ file, size, expected: train.size, example: train.example });
    }
  }
  const testOdd = oddSizedFile(testImages, sizeOf);
  if (testOdd) throw oddSizeError(testOdd);
  if (train && test && formatSize(train.size) !== formatSize(test.size)) {
    throw new UserError(
      `test images are ${formatSize(test.size)} (HxW, e.g. ${test.example}) but train images are ${formatSize(train.size)} (e.g. ${train.example}): ` +
        'the models are trained and applied at one size, so resize the test images or use a matching test set',
    );
  }
  return train?.size;
}
