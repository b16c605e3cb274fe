import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';

/** Paths of the TGS Salt layout under one data directory (the `tgs` entry of @segkit/layouts, spelled out). */
export interface KaggleLayout {
  root: string;
  trainImages: string;
  trainMasks: string;
  trainCsv: string;
  depthsCsv: string;
  testImages: string;
  sampleSubmission: string;
}

export function kaggleLayout(dataDir: string): KaggleLayout {
  return {
    root: dataDir,
    trainImages: join(dataDir, 'train', 'images'),
    trainMasks: join(dataDir, 'train', 'masks'),
    trainCsv: join(dataDir, 'train.csv'),
    depthsCsv: join(dataDir, 'depths.csv'),
    testImages: join(dataDir, 'test', 'images'),
    sampleSubmission: join(dataDir, 'sample_submission.csv'),
  };
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}


/**
 * Ids of the `ID.png` files in a directory, sorted by code unit so the order never depends on the
 * file system. Files that are not PNGs (`.DS_Store`, `Thumbs.db`, `desktop.ini`, notes) and hidden
 * files (macOS `._ID.png`) are ignored; symlinks are followed like files. Two things a browser or
 * another OS leaves behind are errors naming the file, because guessing would train on the wrong
 * data: an upper-case extension (`ID.PNG`: ids are matched case-sensitively against the CSVs) and a
 * second download `ID (1).png` next to `ID.png`.
 */
export function listPngIds(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new UserError(`${dir}: cannot list (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const visible = names.filter((n) => !n.startsWith('.'));
  const wrongCase = visible.find((n) => /\.png$/i.test(n) && !n.endsWith('.png'));
  if (wrongCase) {
    const fixed = `${wrongCase.slice(0, -4)}.png`;
    throw new UserError(`${join(dir, wrongCase)}: the extension must be lower-case .png (rename it to ${fixed})`);
  }
  const ids = visible.filter((n) => n.endsWith('.png')).map((n) => n.slice(0, -4));
  const present = new Set(ids);
  for (const id of ids) {
    const copy = /^(.+) \(\d+\)$/.exec(id);
    if (copy && present.has(copy[1])) {
      throw new UserError(`${join(dir, `${id}.png`)} looks like a second download of ${copy[1]}.png: delete it (or rename it if it is a different image)`);
    }
  }
  return ids.sort(compareIds);
}

/** Plain code-unit order (not locale order), the same on every machine. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
