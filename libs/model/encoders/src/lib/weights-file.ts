import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '@segkit/io';
import { parsePth } from './pth';
import { parseSafetensors } from './safetensors';
import type { StateDict, WeightTensor } from './tensor-data';

/** A weights file read into memory. */
export interface WeightsFile {
  path: string;
  format: 'pth' | 'safetensors';
  /** sha-256 of the file's bytes, hex: what a run records so a changed file retrains. */
  sha256: string;
  stateDict: StateDict;
}

/** sha-256 of a file's bytes, hex. */
export function fileSha256(path: string): string {
  if (!existsSync(path)) throw new UserError(`${path}: weights file not found`);
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Reads a PyTorch `.pth`/`.pt`/`.bin` state dict (a zip archive) or a `.safetensors` file, told
 * apart by their first bytes (zip: `PK`), not by the extension. Never fetches anything: the file
 * is the user's.
 */
export function readWeightsFile(path: string): WeightsFile {
  if (!existsSync(path)) throw new UserError(`${path}: weights file not found`);
  const buf = readFileSync(path);
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return { path, format: 'pth', sha256, stateDict: parsePth(buf, path) };
  if (buf.length >= 2 && buf[0] === 0x80) return { path, format: 'pth', sha256, stateDict: parsePth(buf, path) };
  return { path, format: 'safetensors', sha256, stateDict: parseSafetensors(buf, path) };
}

/**
 * The state dict with wrapper prefixes removed: `module.` (DataParallel) and then `encoder.`
 * (segmentation_models.pytorch). When some keys carry `encoder.` and others do not, the file is a
 * whole segmentation model and only its encoder's keys are kept (the others are its decoder and head).
 */
export function stripPrefixes(stateDict: StateDict): StateDict {
  const strip = (key: string, prefix: string) => (key.startsWith(prefix) ? key.slice(prefix.length) : key);
  const entries = [...stateDict].map(([k, v]) => [strip(k, 'module.'), v] as [string, WeightTensor]);
  const encoderKeys = entries.filter(([k]) => k.startsWith('encoder.'));
  const kept = encoderKeys.length > 0 ? encoderKeys : entries;
  return new Map(kept.map(([k, v]) => [strip(k, 'encoder.'), v]));
}

/** One tensor an encoder needs, in PyTorch's name and shape. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/**
 * Pairs every expected tensor with the file's tensor of the same name. Entries a PyTorch module
 * saves but no encoder uses (`*.num_batches_tracked`, and the names `ignore` matches, e.g. the
 * classifier `fc.*`) are dropped; anything else that is missing, unexpected or of the wrong shape
 * is one `UserError` naming all of them (first few of each kind, with counts).
 */
export function matchStateDict(expected: ExpectedTensor[], stateDict: StateDict, file: string, ignore: (name: string) => boolean = () => false): Map<string, WeightTensor> {
  const wanted = new Map(expected.map((e) => [e.name, e.shape]));
  const missing = expected.filter((e) => !stateDict.has(e.name)).map((e) => e.name);
  const unexpected: string[] = [];
  const wrongShape: string[] = [];
  const matched = new Map<string, WeightTensor>();
  for (const [name, tensor] of stateDict) {
    const shape = wanted.get(name);
    if (shape === undefined) {
      if (!name.endsWith('num_batches_tracked') && !ignore(name)) unexpected.push(name);
      continue;
    }
    if (JSON.stringify(shape) !== JSON.stringify(tensor.shape)) wrongShape.push(`${name} is [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
    else matched.set(name, tensor);
  }
  const list = (items: string[]) => items.slice(0, 6).join(', ') + (items.length > 6 ? `, … (${items.length} in all)` : '');
  const problems = [
    missing.length > 0 ? `missing ${list(missing)}` : '',
    unexpected.length > 0 ? `unexpected ${list(unexpected)}` : '',
    wrongShape.length > 0 ? `wrong shape: ${list(wrongShape)}` : '',
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new UserError(`${file}: does not fit the encoder: ${problems.join('; ')}`);
  return matched;
}
