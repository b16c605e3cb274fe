import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { LAYOUT_NAMES, LAYOUTS, parseLayout, type LayoutDescriptor } from '@segkit/layouts';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What a layout's training data needs, spelled for a message: `train/images/ with train/masks/ or train.csv`. */
export function describeTrainFiles(layout: LayoutDescriptor): string {
  const masks = [layout.train.masks.files && `${layout.train.masks.files.dir}/`, layout.train.masks.csv?.file].filter(Boolean);
  return `${layout.train.images.dir}/ with ${masks.join(' or ')}`;
}

/** True when the folder has the layout's training images folder and one of its mask sources. */
function hasTrainFiles(dataDir: string, layout: LayoutDescriptor): boolean {
  const m = layout.train.masks;
  return (
    isDir(join(dataDir, layout.train.images.dir)) &&
    ((m.files !== undefined && isDir(join(dataDir, m.files.dir))) || (m.csv !== undefined && isFile(join(dataDir, m.csv.file))))
  );
}

/** How many of a layout's folders and files the folder has. */
function presentFiles(dataDir: string, l: LayoutDescriptor): number {
  const dirs = [l.train.images.dir, l.test.images.dir, l.train.masks.files?.dir];
  const files = [l.train.masks.csv?.file, l.sampleSubmission?.file, l.extras.depths?.file];
  return dirs.filter((d) => d !== undefined && isDir(join(dataDir, d))).length + files.filter((f) => f !== undefined && isFile(join(dataDir, f))).length;
}

/**
 * Recognises a competition folder from its files: the built-in layout whose training images
 * folder and a mask source (mask folder or CSV) are both there. When none is complete, the one
 * with the most of its files there (so its loader names what is missing); several complete
 * matches, or none at all, are an error that lists what each layout needs and how to choose.
 */
export function detectLayout(dataDir: string): LayoutDescriptor {
  if (!isDir(dataDir)) {
    throw new UserError(`data directory ${dataDir} does not exist${existsSync(dataDir) ? ' (it is a file)' : ''}`);
  }
  const layouts = LAYOUT_NAMES.map((n) => LAYOUTS[n]);
  const complete = layouts.filter((l) => hasTrainFiles(dataDir, l));
  if (complete.length === 1) return complete[0];
  if (complete.length > 1) {
    throw new UserError(
      `${dataDir} looks like several layouts (${complete.map((l) => l.name).join(', ')}): choose one with the config key data.layout`,
    );
  }
  // No layout is complete: the one with the most of its files present, so its loader names what is missing.
  const scores = layouts.map((l) => presentFiles(dataDir, l));
  const best = Math.max(...scores);
  const leaders = layouts.filter((_, i) => scores[i] === best);
  if (best > 0 && leaders.length === 1) return leaders[0];
  const expected = layouts.map((l) => `${l.name} (${describeTrainFiles(l)})`).join('; ');
  throw new UserError(`${dataDir} matches no known layout: expected one of ${expected}; or describe yours with the config key data.layout`);
}

/** The layout to read a folder with: the one given (a config's `data.layout`), else the detected one. */
export function resolveLayout(dataDir: string, layout?: LayoutDescriptor): LayoutDescriptor {
  return layout ?? detectLayout(dataDir);
}

/**
 * The layout a config's `data.layout` setting names: `'auto'` (or nothing) recognises it from the
 * folder's files, a built-in name picks that entry, an object is a full descriptor (checked).
 */
export function chooseLayout(dataDir: string, setting: unknown = 'auto'): LayoutDescriptor {
  if (setting === undefined || setting === 'auto') return detectLayout(dataDir);
  return parseLayout(setting, 'data.layout');
}
