import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseTempName, TEMP_HOST } from '@tgs/io';
import { isRunning } from './proc';

export interface TempCleanup {
  /** Temporary files and folders of writers that are gone, removed. */
  removed: string[];
  /** Previous versions of folders whose replacement was cut off between its two renames, moved back. */
  restored: string[];
}

/**
 * Removes what killed writers of this host left under `root`: `*.tmp-<host>@<pid>-<hex>` files and
 * folders whose pid no longer runs (a live writer's temp files, and other hosts', are left alone,
 * so this is safe while other steps, here or on other nodes, write). A folder's previous version `<tmp>.old` is moved back when the folder itself is
 * missing, so readers always find the old or the new complete version.
 */
export function removeStaleTemps(root: string): TempCleanup {
  const out: TempCleanup = { removed: [], restored: [] };
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    // Restores first, so a folder moved aside is back before its sibling temp folder is removed.
    const temps = entries.map((e) => ({ e, t: parseTempName(e.name) })).sort((a, b) => Number(b.t?.old ?? false) - Number(a.t?.old ?? false));
    for (const { e, t } of temps) {
      const path = join(dir, e.name);
      if (!t) {
        if (e.isDirectory()) walk(path);
        continue;
      }
      // Another machine's writer (a work directory shared by cluster nodes): its pid says nothing
      // here, so its temp files are left for that machine's own runs to clean.
      if (t.host !== undefined && t.host !== TEMP_HOST) continue;
      if (isRunning(t.pid)) continue;
      const finalPath = join(dir, t.finalName);
      if (t.old && !existsSync(finalPath)) {
        renameSync(path, finalPath);
        out.restored.push(finalPath);
      } else {
        rmSync(path, { recursive: true, force: true });
        out.removed.push(path);
      }
    }
  };
  walk(root);
  return out;
}
