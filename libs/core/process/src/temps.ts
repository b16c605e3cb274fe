import { removeStaleTempsIn, TempCleanup } from '@segkit/io';

export type { TempCleanup };

/**
 * Removes what killed writers of this host left anywhere under `root` (see @segkit/io's
 * removeStaleTempsIn, which every atomic writer also runs on its own target's folder): stale
 * `*.tmp-<host>@<pid>-<hex>` files and folders, and a folder's previous version moved back when
 * a kill fell between the two renames of atomicWriteDir.
 */
export function removeStaleTemps(root: string): TempCleanup {
  const out: TempCleanup = { removed: [], restored: [] };
  const walk = (dir: string) => {
    const r = removeStaleTempsIn(dir);
    out.removed.push(...r.removed);
    out.restored.push(...r.restored);
    for (const sub of r.subdirs) walk(sub);
  };
  walk(root);
  return out;
}
