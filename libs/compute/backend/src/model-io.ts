/**
 * Saving and loading tfjs layers models on the local file system without `@tensorflow/tfjs-node`.
 *
 * The files are the standard tfjs "layers-model" format exactly as tfjs-node's `file://` handler
 * writes them: `model.json` (topology, optional training config, `weightsManifest`) and one
 * `weights.bin` holding every weight's bytes in manifest order. A model saved here loads in
 * tfjs-node with `tf.loadLayersModel('file://<dir>/model.json')`, and a directory written by
 * tfjs-node (or by the tfjs converter, with several `group1-shardNofM.bin` files) loads here.
 *
 * Saving is atomic: the whole directory is built under a temporary sibling and renamed into place,
 * so a reader (or a crash mid-save) never sees a new `model.json` next to old weights.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { atomicWriteDir, atomicWriteFile, readJsonArtifact, UserError } from '@segkit/io';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Bytes per element of the dtypes a weights manifest may use (strings are variable length). */
const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Files a model save writes; anything else in the target directory makes saving refuse. */
function isModelFile(name: string): boolean {
  return name === MODEL_JSON || name.endsWith('.bin');
}

/** The `model.json` object for some artifacts (same fields, same order as tfjs-node writes). */
function modelJsonFor(artifacts: tf.io.ModelArtifacts, manifest: tf.io.WeightsManifestConfig): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: manifest,
  };
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) json.initializerSignature = artifacts.initializerSignature;
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  return json;
}

/**
 * Byte length a manifest entry occupies in the weight data, or `undefined` when it cannot be
 * known from the spec alone (string tensors).
 */
function specByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_ELEMENT[dtype];
  return bytes === undefined ? undefined : size * bytes;
}

/**
 * What loading needs of a `model.json`: a topology object and, when present, weight groups with
 * `paths` and `weights` arrays; every other field passes through untouched.
 */
const modelJsonSchema = z
  .object({
    modelTopology: z.record(z.unknown()),
    weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(z.unknown()) }).passthrough()).optional(),
  })
  .passthrough();

/**
 * Reads a manifest's weight shards (relative to `dir`) and checks each group's total byte length
 * against its specs, so a truncated or foreign `.bin` is reported by name instead of producing
 * garbage weights.
 */
function readWeights(dir: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    let groupBytes = 0;
    const groupFiles: string[] = [];
    for (const rel of group.paths) {
      const file = join(dir, rel);
      if (!existsSync(file)) throw new UserError(`${file}: weights file listed in ${join(dir, MODEL_JSON)} not found`);
      const buf = readFileSync(file);
      groupFiles.push(file);
      groupBytes += buf.byteLength;
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
    const lengths = group.weights.map(specByteLength);
    if (lengths.every((n) => n !== undefined)) {
      const expected = (lengths as number[]).reduce((a, b) => a + b, 0);
      if (expected !== groupBytes) {
        throw new UserError(
          `${groupFiles.join(', ')}: weights are ${groupBytes} bytes but ${join(dir, MODEL_JSON)} describes ${expected} bytes (corrupt or mismatched files)`,
        );
      }
    }
    specs.push(...group.weights);
  }
  return [specs, tf.io.concatenateArrayBuffers(buffers)];
}

/**
 * A `tf.io.IOHandler` reading and writing `<dir>/model.json` + `<dir>/weights.bin`.
 * Use with `model.save(fileSystemIO(dir))` and `tf.loadLayersModel(fileSystemIO(dir))`.
 *
 * `load` validates `model.json` (a UserError naming the file and field; `producedBy`, the step
 * that writes the model, for the "missing" message). `save` replaces `dir` atomically. It refuses (UserError) when `dir` holds files other than a
 * previous model's (`model.json`, `*.bin`), so it never deletes unrelated work.
 */
export function fileSystemIO(dir: string, producedBy = 'train'): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemIO: binary (graph) model topologies are not supported; save a LayersModel');
      }
      if (existsSync(dir)) {
        if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: exists and is not a directory; cannot save a model there`);
        const foreign = readdirSync(dir).filter((f) => !isModelFile(f));
        if (foreign.length > 0) {
          throw new UserError(`${dir}: refusing to replace a directory holding non-model files (${foreign.slice(0, 3).join(', ')})`);
        }
      }
      const weightSpecs = artifacts.weightSpecs ?? [];
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_BIN], weights: weightSpecs }];
      const weightBytes =
        artifacts.weightData == null
          ? new Uint8Array(0)
          : new Uint8Array(new tf.io.CompositeArrayBuffer(artifacts.weightData).slice());
      await atomicWriteDir(dir, (tmp) => {
        atomicWriteFile(join(tmp, WEIGHTS_BIN), weightBytes);
        atomicWriteFile(join(tmp, MODEL_JSON), JSON.stringify(modelJsonFor(artifacts, manifest)));
      });
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology ?? null)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(weightSpecs)),
          weightDataBytes: weightBytes.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      const json = readJsonArtifact(jsonPath, modelJsonSchema, producedBy) as unknown as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => readWeights(dir, manifest));
    },
  };
}

/** Saves a layers model to `dir` (atomically); `includeOptimizer` also stores the optimizer's slots. */
export async function saveLayersModel(model: tf.LayersModel, dir: string, opts: { includeOptimizer?: boolean } = {}): Promise<void> {
  await model.save(fileSystemIO(dir), { includeOptimizer: opts.includeOptimizer ?? false });
}

/**
 * Loads a layers model saved by {@link saveLayersModel} or by tfjs-node. Custom layers must be
 * registered (`tf.serialization.registerClass`) by their owners before calling.
 */
export async function loadLayersModel(dir: string, producedBy = 'train'): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileSystemIO(dir, producedBy));
  } catch (err) {
    if (err instanceof UserError) throw err;
    // Errors from deserialising the topology (unknown layer class, bad config) point at model.json.
    throw new UserError(`${join(dir, MODEL_JSON)}: cannot build the model (${(err as Error).message})`);
  }
}
