import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '@segkit/io';
import { checkTensorFile, loadTensors, saveTensors } from './tensor-file';

describe('tensor files', () => {
  let root: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'segkit-tensor-file-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('round-trips float32, int32, bool and scalar tensors exactly', () => {
    const before = tf.memory().numTensors;
    const src = {
      'adam/m/conv1': tf.tensor([[1.5, -2.25, 3e-30], [Number.MAX_VALUE > 0 ? 3.4e38 : 0, -0, 7]], [2, 3], 'float32'),
      step: tf.scalar(42, 'int32'),
      mask: tf.tensor([true, false, true], [3], 'bool'),
      odd: tf.tensor([1, 2, 3], [3], 'float32'),
      empty: tf.zeros([0, 4]),
    };
    const path = join(root, 'ckpt.tensors');
    saveTensors(path, src);
    const back = loadTensors(path);
    expect(Object.keys(back)).toEqual(Object.keys(src));
    for (const [name, t] of Object.entries(src)) {
      expect(back[name].dtype).toBe(t.dtype);
      expect(back[name].shape).toEqual(t.shape);
      expect(Array.from(back[name].dataSync())).toEqual(Array.from(t.dataSync()));
    }
    tf.dispose(Object.values(src));
    tf.dispose(Object.values(back));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes the documented layout (magic, header length, 8-aligned data)', () => {
    const t = tf.tensor([1, 2], [2], 'int32');
    const path = join(root, 'x.tensors');
    saveTensors(path, { a: t });
    t.dispose();
    const file = readFileSync(path);
    expect(file.toString('latin1', 0, 8)).toBe('TGSTNSR1');
    const h = file.readUInt32LE(8);
    const header = JSON.parse(file.toString('utf8', 12, 12 + h));
    expect(header.tensors).toEqual([{ name: 'a', dtype: 'int32', shape: [2], offset: 0, byteLength: 8 }]);
    const dataStart = Math.ceil((12 + h) / 8) * 8;
    expect(file.readInt32LE(dataStart)).toBe(1);
    expect(file.readInt32LE(dataStart + 4)).toBe(2);
    expect(file.byteLength).toBe(dataStart + 8);
  });

  it.each<[string, (p: string) => void, RegExp]>([
    ['missing', (p) => rmSync(p), /tensor file not found/],
    ['bad magic', (p) => writeFileSync(p, 'hello world, not tensors'), /bad magic/],
    ['truncated data', (p) => truncateSync(p, readFileSync(p).byteLength - 4), /truncated; tensor "w"/],
    ['truncated header', (p) => truncateSync(p, 20), /truncated header/],
    ['empty', (p) => truncateSync(p, 0), /empty \(0 bytes\)/],
  ])('%s file is a UserError naming the path, from loadTensors and from checkTensorFile alike', (_name, damage, message) => {
    const path = join(root, 'bad.tensors');
    const t = tf.ones([4, 4]);
    saveTensors(path, { w: t });
    t.dispose();
    expect(() => checkTensorFile(path)).not.toThrow();
    damage(path);
    for (const read of [loadTensors, checkTensorFile]) {
      expect(() => read(path)).toThrow(UserError);
      expect(() => read(path)).toThrow(new RegExp(`bad\\.tensors: .*${message.source}`));
    }
  });
});
