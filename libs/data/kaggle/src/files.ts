import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '@segkit/io';
import { fillTemplate, templateRegExp } from '@segkit/layouts';
import { compareIds } from './layout';

/** A folder of files named by `{stem}` templates (a layout's images or masks). */
export interface FileSet {
  dir: string;
  files: string[];
  recursive: boolean;
}

/** The files of a set: stems in code-unit order and the path of each. */
export interface ListedFiles {
  stems: string[];
  fileOf: Map<string, string>;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new UserError(`${dir}: cannot list (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a broken symlink is listed as a file; its read names it
  }
}

/**
 * Lists the files of a set under `root` (the competition folder). A file belongs to the set when
 * its name matches one of the templates; its stem is what ties it to the other sets. The rules of
 * the TGS loader hold for every layout:
 * - hidden files (`.DS_Store`, macOS `._x.png`) and names matching no template (`Thumbs.db`,
 *   `desktop.ini`, notes) are ignored; symlinks are followed;
 * - a name that matches a template only when case is ignored (`ID.PNG`) is an error naming the file
 *   (ids are matched case-sensitively against the CSVs);
 * - a browser's second download `ID (1).png` next to `ID.png` is an error naming it;
 * - one stem in two files (`a.png` and `a.jpg`, or in two sub-folders of a recursive set) is an
 *   error naming both.
 * `recursive` walks sub-folders (SIIM's `<study>/<series>/<uid>.dcm`); hidden folders are skipped.
 */
export function listFiles(root: string, set: FileSet): ListedFiles {
  const top = join(root, set.dir);
  const exact = set.files.map((t) => templateRegExp(t));
  const loose = set.files.map((t) => templateRegExp(t, 'i'));
  const fileOf = new Map<string, string>();
  const templateOf = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of listDir(dir).sort(compareIds)) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (set.recursive && isDirectory(path)) {
        visit(path);
        continue;
      }
      let matched = false;
      for (let t = 0; t < exact.length && !matched; t++) {
        const stem = exact[t].exec(name)?.[1];
        if (stem === undefined) continue;
        matched = true;
        const prev = fileOf.get(stem);
        if (prev) throw new UserError(`${path} and ${prev} have the same id "${stem}": keep one of them`);
        fileOf.set(stem, path);
        templateOf.set(stem, set.files[t]);
      }
      if (matched) continue;
      for (let t = 0; t < loose.length; t++) {
        const stem = loose[t].exec(name)?.[1];
        if (stem === undefined) continue;
        const fixed = fillTemplate(set.files[t], stem);
        const [before, after] = set.files[t].split('{stem}');
        const rule = before === '' && after === after.toLowerCase() ? `the extension must be lower-case ${after}` : `the name must be spelled ${before}ID${after}, case included`;
        throw new UserError(`${path}: ${rule} (rename it to ${fixed})`);
      }
    }
  };
  visit(top);
  for (const [stem, path] of fileOf) {
    const copy = /^(.+) \(\d+\)$/.exec(stem);
    const twin = copy && fileOf.get(copy[1]);
    if (twin) {
      throw new UserError(`${path} looks like a second download of ${relative(top, twin)}: delete it (or rename it if it is a different image)`);
    }
  }
  return { stems: [...fileOf.keys()].sort(compareIds), fileOf };
}
