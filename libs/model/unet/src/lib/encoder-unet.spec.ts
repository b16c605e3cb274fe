import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encoderTensorNames } from '@segkit/encoders';
import { encoderOverrides, resolveUnetConfig } from './config';
import { exportInferenceModel, inferenceModel } from './inference-model';
import { buildUnet, getUnetConfig, loadUnetEncoderWeights } from './unet';
import { useBackend } from '@segkit/backend/testing';
import { expectNoTensorLeak, randomImages } from './test-helpers';

// wasm (XNNPACK): a ResNet at these sizes takes seconds there, minutes on the pure-JS backend.
beforeAll(async () => {
  await useBackend('wasm');
});

describe('a U-Net on a ResNet encoder', () => {
  it('the encoder sets depth 5 and a padTo that is a multiple of 32; plain settings it overrides are named once', () => {
    const cfg = resolveUnetConfig({ inputHeight: 101, inputWidth: 101, encoder: 'resnet34', depth: 4, padTo: 120, seed: 1 });
    expect([cfg.depth, cfg.padTo, cfg.encoder]).toEqual([5, 128, 'resnet34']);
    expect(resolveUnetConfig({ inputHeight: 101, inputWidth: 101, encoder: 'resnet34', padTo: 160, seed: 1 }).padTo).toBe(160);
    expect(encoderOverrides({ encoder: 'resnet34', depth: 4, padTo: 120 })).toBe(
      'model.encoder resnet34: ignoring the plain U-Net\'s depth 4 (the encoder has 5 levels) and padTo 120 (not a multiple of 32)',
    );
    expect(encoderOverrides({ encoder: 'resnet34', depth: 5 })).toBeUndefined();
    expect(encoderOverrides({ encoder: 'plain', depth: 4 })).toBeUndefined();
    // A plain model's resolved config has no encoder key (its metadata is as before).
    expect('encoder' in resolveUnetConfig({ inputHeight: 8, inputWidth: 8, seed: 1 })).toBe(false);
    expect(() => resolveUnetConfig({ inputHeight: 8, inputWidth: 8, encoder: 'vgg16' as never })).toThrow(/encoder must be one of 'plain', 'resnet18', 'resnet34', 'resnet50'/);
  });

  it('maps [n, H, W, 1] images to [n, H, W, 1] logits with scSE, hypercolumn, dropout, a gate and deep supervision, and exports to stock layers with the same logits and gate', async () => {
    const model = buildUnet({ inputHeight: 37, inputWidth: 45, encoder: 'resnet18', baseFilters: 4, scse: true, hypercolumn: true, dropout: 0.2, upsample: 'bilinear', seed: 5, gate: true, deepSupervision: true });
    const x = randomImages([2, 37, 45, 1], 3);
    await expectNoTensorLeak(async () => {
      const outputs = tf.tidy(() => model.predict(x) as tf.Tensor[]);
      // [logits, gate, aux at decoder levels 2 … 5]; the gate pools layer4 (after its dropout).
      expect(outputs.map((t) => t.shape)).toEqual([[2, 37, 45, 1], [2, 1], ...[2, 3, 4, 5].map(() => [2, 37, 45, 1])]);
      expect(model.getLayer('gate_pool').inboundNodes[0].inboundLayers[0].name).toBe('bottleneck_dropout');
      const [logits, gate] = outputs;
      expect(model.getLayer('encoder.layer4.1.bn2').getClassName()).toBe('BatchNormalization');
      // Decoder levels 5 … 1 at strides 16 … 1; the stride-1 level has no skip.
      expect(model.layers.filter((l) => /^dec\d_concat$/.test(l.name)).map((l) => l.name)).toEqual(['dec5_concat', 'dec4_concat', 'dec3_concat', 'dec2_concat']);
      expect(getUnetConfig(model)).toMatchObject({ encoder: 'resnet18', depth: 5, padTo: 64 });
      const { model: exported, spec } = await exportInferenceModel(model);
      const again = tf.tidy(() => inferenceModel(exported, spec).predict(x as tf.Tensor4D) as tf.Tensor[]);
      const [a, b] = [logits.dataSync(), again[0].dataSync()];
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
      gate.dataSync().forEach((v, i) => expect(again[1].dataSync()[i]).toBeCloseTo(v, 4));
      tf.dispose([...outputs, ...again]);
      exported.dispose();
    });
    x.dispose();
    model.dispose();
  });

  it('loads a state dict into the encoder and records the file and its sha-256 in the metadata, kept by the export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unet-encoder-'));
    try {
      const model = buildUnet({ inputHeight: 32, inputWidth: 32, encoder: 'resnet18', baseFilters: 2, seed: 1 });
      // A hand-written safetensors file: every tensor filled with 0.5 (F32), names as timm's.
      const tensors = encoderTensorNames(model);
      let offset = 0;
      const header: Record<string, unknown> = {};
      for (const t of tensors) {
        const bytes = t.shape.reduce((a, d) => a * d, 1) * 4;
        header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
        offset += bytes;
      }
      const json = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(json.length));
      const data = Buffer.alloc(offset);
      for (let i = 0; i < offset; i += 4) data.writeFloatLE(0.5, i);
      const path = join(dir, 'resnet18.safetensors');
      const file = Buffer.concat([length, json, data]);
      writeFileSync(path, file);
      const record = loadUnetEncoderWeights(model, path);
      expect(record.file).toBe('resnet18.safetensors');
      expect(record.sha256).toBe(createHash('sha256').update(file).digest('hex'));
      expect((model.getUserDefinedMetadata() as { encoderWeights: unknown }).encoderWeights).toEqual(record);
      expect(getUnetConfig(model)?.encoder).toBe('resnet18');
      expect(Array.from(model.getLayer('encoder.bn1').getWeights()[3].dataSync().slice(0, 2))).toEqual([0.5, 0.5]);
      const { model: exported } = await exportInferenceModel(model);
      expect((exported.getUserDefinedMetadata() as { encoderWeights: unknown }).encoderWeights).toEqual(record);
      exported.dispose();
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
