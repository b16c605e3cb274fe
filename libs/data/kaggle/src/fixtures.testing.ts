/**
 * Test helpers: tiny PNGs and Kaggle-layout directories written with sharp, so the loader is
 * tested on real encoded files of every flavour it must accept.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '@segkit/io';

export type PngKind = 'grey8' | 'rgb8' | 'rgba8' | 'grey16';

/**
 * Writes a PNG of H×W from row-major samples. grey8/grey16 take one sample per pixel; rgb8 and
 * rgba8 take 3 or 4 interleaved samples. sharp takes the raw sample depth from the typed array
 * type (Uint16Array = ushort), and the colour space pins the PNG colour type and bit depth.
 */
export async function writePng(file: string, kind: PngKind, height: number, width: number, samples: ArrayLike<number>): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const channels = kind === 'rgb8' ? 3 : kind === 'rgba8' ? 4 : 1;
  if (samples.length !== height * width * channels) throw new Error(`writePng: ${samples.length} samples for ${kind} ${height}x${width}`);
  const raw = kind === 'grey16' ? Uint16Array.from(samples) : Uint8Array.from(samples);
  const space = kind === 'grey16' ? 'grey16' : kind === 'grey8' ? 'b-w' : 'srgb';
  await sharp(raw, { raw: { width, height, channels } }).toColourspace(space).png().toFile(file);
}

/** A 3-channel RGB image with equal channels, like the real TGS images. */
export function greyAsRgb(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out.push(values[i], values[i], values[i]);
  return out;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Runs `action` and returns the UserError it throws (failing the test for any other outcome). */
export async function userError(action: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await action();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
