import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '@segkit/io';
import { setEncoderWeights } from './encoder-weights';
import { ENCODER_NAMES, imagenetInput, resnetEncoder, type ResnetName } from './resnet';
import type { StateDict } from './tensor-data';
import { useBackend, WASM_VARIANTS } from '@segkit/backend/testing';
import { readWeightsFile } from './weights-file';

/**
 * The tfjs ResNets against PyTorch itself: tools/parity/resnet_taps.py builds each torchvision
 * ResNet with random weights and BatchNorm statistics, saves it as .pth and .safetensors, and writes
 * PyTorch's features at every tap; both files must reproduce them to max|d| ≤ 1e-4 · max|reference|
 * at an even (64×64, where tfjs's `same` padding shifts features) and an odd (37×45) size.
 */
const WORKSPACE_ROOT = join(__dirname, '..', '..', '..', '..', '..');
const SCRIPT = join(WORKSPACE_ROOT, 'tools', 'parity', 'resnet_taps.py');
const SIZES: [number, number, number][] = [
  [1, 64, 64],
  [1, 37, 45],
];
const TOLERANCE = 1e-4;

/** The first Python that imports torch and torchvision, or why there is none. */
function findTorch(): { python: string } | { reason: string } {
  const tried: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { reason: `PyTorch is not installed (apt-get install python3-torch python3-torchvision); ${tried.join('; ')}` };
}

const torch = findTorch();
const onCi = process.env.CI === 'true';

describe('PyTorch for the parity tests', () => {
  it('is available (required on CI)', () => {
    if ('reason' in torch) {
      if (onCi) throw new Error(torch.reason);
      console.warn(`skipping the encoder parity tests: ${torch.reason}`);
    }
  });
});

const describeWithTorch = 'python' in torch ? describe : describe.skip;

describeWithTorch('ResNet encoders match PyTorch at every tap', () => {
  let dir: string;
  const files = new Map<string, StateDict>();
  const weights = (name: string): StateDict => {
    if (!files.has(name)) files.set(name, readWeightsFile(join(dir, name)).stateDict);
    return files.get(name)!;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'resnet-parity-'));
    const r = spawnSync((torch as { python: string }).python, [SCRIPT, dir], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed: ${r.error?.message ?? r.stderr}`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await useBackend('cpu');
  });

  function encoderModel(arch: ResnetName, h: number, w: number, padding: 'torch' | 'same' = 'torch'): tf.LayersModel {
    const input = tf.input({ shape: [h, w, 1] });
    const { features } = resnetEncoder(imagenetInput(input), arch, { padding, initializer: 'zeros' });
    return tf.model({ inputs: input, outputs: features });
  }

  /** max|tfjs − PyTorch| / max|PyTorch| at each tap. */
  function tapErrors(model: tf.LayersModel, stem: string): number[] {
    const input = readNpy(join(dir, `${stem}_input.npy`));
    return tf.tidy(() => {
      const outputs = model.predict(tf.tensor4d(input.data, input.shape as [number, number, number, number])) as tf.Tensor[];
      return outputs.map((out, k) => {
        const ref = readNpy(join(dir, `${stem}_tap${k}.npy`));
        expect([k, out.shape]).toEqual([k, ref.shape]);
        const got = out.dataSync();
        let maxDiff = 0;
        let maxRef = 0;
        for (let i = 0; i < got.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref.data[i]));
          maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
        }
        return maxDiff / maxRef;
      });
    });
  }

  describe.each(WASM_VARIANTS)('on %s', (variant) => {
    beforeAll(async () => {
      await useBackend(variant);
    });

    it.each(ENCODER_NAMES.flatMap((arch) => SIZES.map(([n, h, w]) => [arch, n, h, w] as [ResnetName, number, number, number])))(
      '%s, %i image(s) of %i×%i, from the .pth and from the .safetensors',
      (arch, _n, h, w) => {
        const before = tf.memory().numTensors;
        const model = encoderModel(arch, h, w);
        for (const file of [`${arch}.pth`, `${arch}.safetensors`]) {
          setEncoderWeights(model, weights(file), file);
          const errors = tapErrors(model, `${arch}_${h}x${w}`);
          expect([file, errors.map((e) => e <= TOLERANCE)]).toEqual([file, errors.map(() => true)]);
        }
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      },
    );

    it("negative control: tfjs's `same` padding on strided convolutions and the max-pool does not match at 64×64", () => {
      const before = tf.memory().numTensors;
      const model = encoderModel('resnet18', 64, 64, 'same');
      setEncoderWeights(model, weights('resnet18.pth'), 'resnet18.pth');
      const errors = tapErrors(model, 'resnet18_64x64');
      expect(errors[0]).toBeGreaterThan(TOLERANCE * 100);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
