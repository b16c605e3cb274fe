import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { NpyReader, NpyWriter, Progress, writeIdsFile, writeNpy } from '@segkit/io';
import { openFoldTest, PredictionMeta, readFoldGate, readFoldOof, readPredictionMeta } from '@segkit/predict';
import { runLayout } from '@segkit/run';
import { EnsembleMeta, ensemblePaths, writeEnsembleMeta } from './artifacts';
import { combineLogits, EnsembleMode } from './combine';

export interface EnsembleInput {
  workDir: string;
  /** Folds 0..k-1 are combined (their predict/ folders). */
  k: number;
  /** Train ids in the data's order: the OOF arrays are laid out in this order. */
  trainIds: string[];
  mode: EnsembleMode;
  /** Test images combined per chunk; bounds memory to chunk × folds × H·W floats. */
  chunkImages?: number;
  log?: (msg: string) => void;
}

/**
 * Test logits: the fold models' logits combined image by image, read and written in chunks so
 * that all folds' test logits never sit in memory together. OOF logits: each fold's validation
 * logits placed at their images' positions in train order (every train id exactly once).
 */
export function ensembleFolds(input: EnsembleInput): EnsembleMeta {
  const { workDir, trainIds, mode } = input;
  const log = input.log ?? (() => undefined);
  const layout = runLayout(workDir);
  const metas = Array.from({ length: input.k }, (_, k) => readPredictionMeta(layout.fold(k).dir, k));
  const { height, width } = metas[0];
  const pixels = height * width;
  const testIds = metas[0].testIds;
  for (const m of metas) {
    if (m.height !== height || m.width !== width) throw new Error(`fold ${m.fold}: image size ${m.height}×${m.width} differs from ${height}×${width}`);
    if (m.testIds.length !== testIds.length || m.testIds.some((id, i) => id !== testIds[i])) throw new Error(`fold ${m.fold}: test ids differ from fold ${metas[0].fold}'s`);
  }
  const out = ensemblePaths(workDir);

  // OOF: scatter each fold's validation logits into train order.
  const position = new Map(trainIds.map((id, i) => [id, i]));
  const seen = new Uint8Array(trainIds.length);
  const oof = { 1: new Float32Array(trainIds.length * pixels), 2: new Float32Array(trainIds.length * pixels) };
  const oofIds: string[][] = [];
  metas.forEach((meta, k) => {
    const foldDir = layout.fold(k).dir;
    for (const stage of [1, 2] as const) {
      const { ids, logits } = readFoldOof(foldDir, stage, meta);
      oofIds[k] = ids;
      ids.forEach((id, j) => {
        const i = position.get(id);
        if (i === undefined) throw new Error(`${layout.fold(k).predict.oofIds}: id ${id} is not a train id`);
        if (stage === 1) {
          if (seen[i]) throw new Error(`id ${id} is out-of-fold in more than one fold (fold ${metas[k].fold})`);
          seen[i] = 1;
        }
        oof[stage].set(logits.subarray(j * pixels, (j + 1) * pixels), i * pixels);
      });
    }
  });
  const missing = trainIds.filter((_, i) => !seen[i]);
  if (missing.length > 0) throw new Error(`${missing.length} train ids have no OOF prediction (first: ${missing[0]})`);
  const oofShape = [trainIds.length, height, width];
  writeNpy(out.oofStage1, oof[1], oofShape);
  writeNpy(out.oofStage2, oof[2], oofShape);
  writeIdsFile(out.oofIds, trainIds);
  const gated = ensembleGates(metas, layout, oofIds, position, trainIds.length, mode, out);

  // Test: combine the folds chunk by chunk.
  const chunk = input.chunkImages ?? 256;
  const readers: NpyReader[] = [];
  const writer = new NpyWriter(out.test, [testIds.length, height, width]);
  try {
    metas.forEach((meta, k) => readers.push(openFoldTest(layout.fold(k).dir, meta)));
    const combined = new Float32Array(chunk * pixels);
    const progress = new Progress('ensemble test', testIds.length);
    for (let start = 0; start < testIds.length; start += chunk) {
      const n = Math.min(chunk, testIds.length - start);
      // Each reader's view stays valid until that reader's next read, so one view per fold is safe.
      const parts = readers.map((r) => r.read(start, n));
      writer.write(combineLogits(parts, mode, combined.subarray(0, n * pixels)));
      progress.tick(n);
    }
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    readers.forEach((r) => r.close());
  }
  writeIdsFile(out.testIds, testIds);
  const fingerprint = createHash('sha256').update(`${mode}\n${metas.map((m) => m.fingerprint).join('\n')}\n`).digest('hex');
  const testSizes = metas[0].testSizes;
  const meta: EnsembleMeta = { mode, folds: metas.map((m) => m.fold), height, width, trainIds, testIds, ...(testSizes ? { testSizes } : {}), fingerprint, ...(gated ? { gate: true as const } : {}) };
  writeEnsembleMeta(workDir, meta);
  log(`ensembled ${input.k} folds (${mode}): ${testIds.length} test images, ${trainIds.length} OOF images`);
  return meta;
}

/**
 * The empty-mask gate's logits, when every fold's models have one: each fold's OOF gate placed in
 * train order (`oof-gate.npy`), the folds' test gates combined as the logits are (`test-gate.npy`).
 * `oofIds`: each fold's OOF ids, as its logits were placed. Returns whether they were written (a
 * fold without a gate, or folds that disagree, is an error).
 */
function ensembleGates(metas: PredictionMeta[], layout: ReturnType<typeof runLayout>, oofIds: string[][], position: Map<string, number>, nTrain: number, mode: EnsembleMode, out: ReturnType<typeof ensemblePaths>): boolean {
  rmSync(out.oofGate, { force: true });
  rmSync(out.testGate, { force: true });
  const gated = metas.filter((m) => m.gate).length;
  if (gated === 0) return false;
  if (gated !== metas.length) throw new Error(`${gated} of ${metas.length} folds have an empty-mask gate; predict every fold with the same model settings`);
  const oof = new Float32Array(nTrain);
  const tests: Float32Array[] = [];
  metas.forEach((meta, k) => {
    const foldDir = layout.fold(k).dir;
    const ids = oofIds[k];
    const gate = readFoldGate(foldDir, 'oof', meta) as Float32Array;
    if (gate.length !== ids.length) throw new Error(`${layout.fold(k).predict.oofGate}: ${gate.length} values for ${ids.length} OOF ids`);
    ids.forEach((id, j) => (oof[position.get(id) as number] = gate[j]));
    tests.push(readFoldGate(foldDir, 'test', meta) as Float32Array);
  });
  writeNpy(out.oofGate, oof, [nTrain]);
  const test = tests[0].length === 0 ? new Float32Array(0) : combineLogits(tests, mode);
  writeNpy(out.testGate, test, [test.length]);
  return true;
}
