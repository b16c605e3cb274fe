/**
 * Training-step cost of the `@segkit/models` U-Net variants on wasm (with the @segkit/backend training
 * kernels), 8×101×101×1 batches (reflection-padded to 128 inside the model), Adam + BCE-with-logits.
 * Baseline: the backend's reference U-Net (same 16..256 filters, no BN, 128×128 input) measured in
 * the same process. Also: cost of the gradient-correct reflection pad (slice/reverse/concat) against
 * tf.mirrorPad (whose tfjs gradient is wrong at the borders), forward + backward.
 * BENCH_STEPS (default 3) timed steps after one warm-up; wall and process CPU time (the machine may
 * be shared; CPU time is less sensitive to contention).
 */
import * as tf from '@tensorflow/tfjs';
import { activateWasm, buildReferenceUnet } from '@segkit/backend';
import { buildUnet, countParams, reflectionPad2d, type UnetConfig } from '@segkit/models';
import { median } from './median';

const BATCH = 8;
const SIZE = 101;
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const WARMUP = 1;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function time(fn: () => void, steps = STEPS, warmup = WARMUP): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (i >= warmup) {
      wall.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/** Median time of one Adam + BCE step of `model` on a fixed random batch of side `size`. */
function timeTraining(model: tf.LayersModel, size: number): Timing {
  const x = tf.randomUniform([BATCH, size, size, 1], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.randomUniform([BATCH, size, size, 1], 0, 1, 'float32', 2).greater(0.5).toFloat());
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const t = time(() => {
    const loss = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
      vars,
    );
    loss?.dataSync();
    loss?.dispose();
  });
  tf.dispose([x, y]);
  optimizer.dispose();
  return t;
}

function timePredict(model: tf.LayersModel): Timing {
  const x = tf.randomUniform([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 1);
  const t = time(() => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()));
  x.dispose();
  return t;
}

function timePad(pad: (x: tf.Tensor4D) => tf.Tensor4D): Timing {
  const x = tf.randomUniform([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const t = time(() => tf.tidy(() => tf.grad((v: tf.Tensor) => pad(v as tf.Tensor4D).square().sum())(x).dataSync()), 10, 2);
  x.dispose();
  return t;
}

async function main(): Promise<void> {
  if (!(await activateWasm())) throw new Error('wasm backend failed to initialise');
  const fmt = (ms: number): string => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

  const reference = buildReferenceUnet({ size: 128, base: 16, levels: 4, seed: 1 });
  const base = timeTraining(reference, 128);
  const rows: [string, number, Timing][] = [['reference U-Net (backend), no BN, 128² input', countParams(reference), base]];
  reference.dispose();

  const variants: [string, Partial<UnetConfig>][] = [
    ['default: plain + BN, transpose up', {}],
    ['residual blocks', { block: 'residual' }],
    ['+ scSE', { scse: true }],
    ['+ hypercolumn', { hypercolumn: true }],
    ['bilinear upsampling', { upsample: 'bilinear' }],
  ];
  for (const [name, patch] of variants) {
    const model = buildUnet({ inputHeight: SIZE, inputWidth: SIZE, seed: 1, ...patch });
    rows.push([name, countParams(model), timeTraining(model, SIZE)]);
    model.dispose();
  }

  const lines = [
    `One Adam + BCE-with-logits step, batch ${BATCH}, ${SIZE}×${SIZE} input (padded to 128), wasm; ratios vs the reference U-Net`,
    '',
    '| model | params | step (wall) | step (CPU) | CPU / reference |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      ([name, params, t]) =>
        `| ${name} | ${(params / 1e6).toFixed(2)}M | ${fmt(t.wallMs)} | ${fmt(t.cpuMs)} | ${(t.cpuMs / base.cpuMs).toFixed(2)}x |`,
    ),
  ];

  const model = buildUnet({ inputHeight: SIZE, inputWidth: SIZE, seed: 1 });
  const predict = timePredict(model);
  model.dispose();
  lines.push(
    '',
    `| inference (default model, batch ${BATCH}) | wall | CPU | images/s (CPU) |`,
    '|---|---:|---:|---:|',
    `| predict | ${fmt(predict.wallMs)} | ${fmt(predict.cpuMs)} | ${((1000 * BATCH) / predict.cpuMs).toFixed(1)} |`,
  );

  const pads: [[number, number], [number, number]] = [
    [13, 14],
    [13, 14],
  ];
  const ours = timePad((x) => reflectionPad2d(x, pads));
  const mirror = timePad((x) => tf.mirrorPad(x, [[0, 0], ...pads, [0, 0]], 'reflect'));
  lines.push(
    '',
    `| reflection pad ${BATCH}×101² → 128², forward + backward | wall | CPU | CPU / mirrorPad |`,
    '|---|---:|---:|---:|',
    `| tf.mirrorPad (gradient wrong at the borders) | ${fmt(mirror.wallMs)} | ${fmt(mirror.cpuMs)} | 1.00x |`,
    `| reflectionPad2d (slice/reverse/concat) | ${fmt(ours.wallMs)} | ${fmt(ours.cpuMs)} | ${(ours.cpuMs / mirror.cpuMs).toFixed(2)}x |`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
