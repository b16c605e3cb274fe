import { readFileSync } from 'node:fs';
import { atomicWriteFile } from './atomic';
import { requireArtifact } from './artifact';

/**
 * The ids sidecar of an array artifact (`oof-ids.txt` beside `oof-stage2.npy`): one id per line,
 * in the order of the array's first axis. `producedBy` names the step that writes it, for the
 * "missing" message.
 */
export function readIdsFile(path: string, producedBy: string): string[] {
  return readFileSync(requireArtifact(path, producedBy), 'utf8')
    .split('\n')
    .filter((s) => s.length > 0);
}

/** Writes an ids sidecar atomically, one id per line. */
export function writeIdsFile(path: string, ids: readonly string[]): void {
  atomicWriteFile(path, ids.join('\n') + '\n');
}
