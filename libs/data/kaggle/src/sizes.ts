import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@tgs/io';
import { isDir, kaggleLayout, listPngIds } from './layout';

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
  const head = Buffer.alloc(24);
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
  if (n < head.length || PNG_SIGNATURE.some((b, i) => head[i] !== b) || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

export function formatSize(s: ImageSize): string {
  return `${s.height}x${s.width}`;
}

/** The most frequent size among `files` (ties: the one seen first), with one file of it. */
export function majoritySize(files: string[], sizeOf: (file: string) => ImageSize | undefined = pngSize): { size: ImageSize; example: string } | undefined {
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
export function oddSizedFile(files: string[], sizeOf: (file: string) => ImageSize | undefined = pngSize): { file: string; size: ImageSize; expected: ImageSize; example: string } | undefined {
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
 * Preflight size check of a Kaggle folder from the PNG headers alone (about a millisecond per
 * hundred files): every train image and mask has the train images' common size, every test image
 * has the test images' common size, and the two agree. Throws a {@link UserError} naming the
 * offending file and both sizes.
 */
export function checkImageSizes(dataDir: string): ImageSize | undefined {
  const l = kaggleLayout(dataDir);
  const files = (dir: string) => (isDir(dir) ? listPngIds(dir).map((id) => join(dir, `${id}.png`)) : []);
  const trainImages = files(l.trainImages);
  const trainMasks = files(l.trainMasks);
  const testImages = files(l.testImages);
  const sizes = new Map<string, ImageSize | undefined>();
  const sizeOf = (file: string) => {
    if (!sizes.has(file)) sizes.set(file, pngSize(file));
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
