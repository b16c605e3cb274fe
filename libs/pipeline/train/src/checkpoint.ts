import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { checkTensorFile, loadTensors, saveTensors } from '@segkit/backend';
import { readJsonArtifact, UserError, writeJsonArtifact } from '@segkit/io';

/*
 * Per-epoch training checkpoints: `ckpt-<epoch>.bin` (model weights, including BatchNorm moving
 * statistics, the optimizer's slots and the stage's running weight average, if any) written first, then `ckpt-<epoch>.json` (the loop state)
 * as the commit point. Both writes are atomic; a checkpoint counts only when its JSON exists, so a
 * process killed at any instant resumes from the last complete epoch. The two newest are kept, so
 * a checkpoint damaged anyway (a crash of the machine before the data reached the disk, a disk
 * that filled up, a copy cut short) costs one epoch: resuming falls back to the newest whole one.
 * The folder is a stage's `checkpoints/` (see @segkit/run's stageLayout).
 */

/** Committed checkpoints kept per stage: the newest, and one to fall back on. */
const KEEP = 2;

/** The epochs of the committed checkpoints in `dir` (their JSON exists), newest first. */
function committedEpochs(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => /^ckpt-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

function ckptName(epoch: number, ext: 'bin' | 'json'): string {
  return `ckpt-${String(epoch).padStart(4, '0')}.${ext}`;
}

/** Adam's hidden running powers β₁ᵗ, β₂ᵗ: restored verbatim so a resumed step is bit-identical. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

export async function saveCheckpoint<S extends z.ZodType<{ epoch: number }>>(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: z.infer<S>,
  schema: S,
  averaged: readonly tf.Tensor[] = [],
): Promise<void> {
  const tensors: Record<string, tf.Tensor> = {};
  model.getWeights().forEach((w, i) => (tensors[`model/${String(i).padStart(4, '0')}`] = w));
  averaged.forEach((w, i) => (tensors[`avg/${String(i).padStart(4, '0')}`] = w));
  const optWeights = await optimizer.getWeights();
  optWeights.forEach((w, i) => (tensors[`opt/${String(i).padStart(4, '0')}/${w.name}`] = w.tensor));
  const adam = optimizer as unknown as Partial<AdamInternals>;
  if (adam.accBeta1 && adam.accBeta2) {
    tensors['adam/accBeta1'] = adam.accBeta1;
    tensors['adam/accBeta2'] = adam.accBeta2;
  }
  try {
    saveTensors(join(dir, ckptName(state.epoch, 'bin')), tensors);
  } finally {
    // getWeights() returns a fresh scalar for the iteration count; the slots are live variables.
    for (const w of optWeights) if (w.name === 'iter') w.tensor.dispose();
  }
  writeJsonArtifact(join(dir, ckptName(state.epoch, 'json')), schema, state, 'train step');
  // Older checkpoints are superseded once the new one is committed; one stays to fall back on.
  const keep = new Set(committedEpochs(dir).slice(0, KEEP));
  for (const f of readdirSync(dir)) {
    const m = /^ckpt-(\d+)\.(bin|json)$/.exec(f);
    if (m && Number(m[1]) < state.epoch && !keep.has(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
}

/** A committed checkpoint that could not be read, and why (removed by {@link latestCheckpoint}). */
export interface DamagedCheckpoint {
  epoch: number;
  reason: string;
}

/**
 * The newest whole committed checkpoint's state, validated by `schema`, or undefined when there is
 * none. A damaged one (its state unreadable or invalid, its tensor file missing, truncated or empty)
 * is removed and listed in `damaged`, and the next older one is tried, so a damaged checkpoint
 * never blocks a rerun.
 */
export function latestCheckpoint<S extends z.ZodTypeAny>(
  dir: string,
  schema: S,
): { state: z.infer<S>; binPath: string; damaged: DamagedCheckpoint[] } | { state?: undefined; damaged: DamagedCheckpoint[] } {
  const damaged: DamagedCheckpoint[] = [];
  if (!existsSync(dir)) return { damaged };
  for (const epoch of committedEpochs(dir)) {
    const jsonPath = join(dir, ckptName(epoch, 'json'));
    const binPath = join(dir, ckptName(epoch, 'bin'));
    try {
      const state = readJsonArtifact(jsonPath, schema, 'train step');
      checkTensorFile(binPath);
      return { state, binPath, damaged };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      damaged.push({ epoch, reason: err.message });
      rmSync(jsonPath, { force: true });
      rmSync(binPath, { force: true });
    }
  }
  return { damaged };
}

/**
 * Loads model weights and optimizer slots saved by {@link saveCheckpoint} into live objects, and
 * returns the stage's running weight average saved with them (empty when it had none); the caller
 * owns those tensors.
 */
export async function restoreCheckpoint(binPath: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<tf.Tensor[]> {
  const tensors = loadTensors(binPath);
  const averaged = Object.keys(tensors)
    .filter((n) => n.startsWith('avg/'))
    .sort()
    .map((n) => tensors[n]);
  try {
    const names = Object.keys(tensors).sort();
    const modelWeights = names.filter((n) => n.startsWith('model/')).map((n) => tensors[n]);
    if (modelWeights.length !== model.weights.length) {
      throw new Error(`${binPath}: checkpoint has ${modelWeights.length} model weights, the model has ${model.weights.length}`);
    }
    model.setWeights(modelWeights);
    const opt = names
      .filter((n) => n.startsWith('opt/'))
      .map((n) => ({ name: n.split('/').slice(2).join('/'), tensor: tensors[n] }));
    if (opt.length > 0) await optimizer.setWeights(opt);
    const adam = optimizer as unknown as Partial<AdamInternals>;
    if (adam.accBeta1 && adam.accBeta2 && tensors['adam/accBeta1']) {
      adam.accBeta1.assign(tensors['adam/accBeta1'] as tf.Scalar);
      adam.accBeta2.assign(tensors['adam/accBeta2'] as tf.Scalar);
    }
  } catch (err) {
    averaged.forEach((t) => t.dispose());
    throw err;
  } finally {
    // setWeights copies into variables; our loaded tensors can go (all but the average, the caller's).
    for (const t of Object.values(tensors)) if (!averaged.includes(t)) t.dispose();
  }
  return averaged;
}
