import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime } from '@segkit/process';
import * as tf from '@tensorflow/tfjs';
import { setBeforeKernel } from './kernels';
import { coreShare, leaseCores, leaseHolders } from './lease';
import { leaseNativeCores } from './status';
import { addonForTests, useCpu, useWasm } from './testing';

describe('coreShare', () => {
  it.each([
    ['alone: every core', 8, [100], 100, 8],
    ['2 holders of 2 cores: one each', 2, [100, 200], 200, 1],
    ['3 holders of 8 cores: 3, 3, 2 by pid', 8, [300, 100, 200], 100, 3],
    ['... the second', 8, [300, 100, 200], 200, 3],
    ['... the third', 8, [300, 100, 200], 300, 2],
    ['more holders than cores: still one thread', 2, [1, 2, 3], 3, 1],
    ['this process counts even before its file is read', 4, [7], 9, 2],
  ])('%s', (_name, cores, holders, pid, share) => {
    expect(coreShare(cores, holders, pid)).toBe(share);
  });

  it('the shares add up to the cores whenever there are no more holders than cores', () => {
    for (let cores = 1; cores <= 9; cores++)
      for (let n = 1; n <= cores; n++) {
        const holders = Array.from({ length: n }, (_, i) => 10 + i);
        expect(holders.reduce((s, p) => s + coreShare(cores, holders, p), 0)).toBe(cores);
      }
  });

  it('rejects a non-positive core count', () => {
    expect(() => coreShare(0, [1], 1)).toThrow(/cores must be a positive integer/);
  });
});

describe('leasing cores', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'segkit-lease-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A live process holding a lease file, as another fold process would. */
  function otherHolder(): { pid: number; stop: () => Promise<void> } {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    writeFileSync(join(dir, `${pid}.json`), JSON.stringify({ pid, startTime: processStartTime(pid) }));
    return { pid, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGKILL'))) };
  }

  it('a finished holder gives its cores to the others at their next refresh; a new one takes its part', async () => {
    const other = otherHolder();
    const applied: number[] = [];
    const lease = leaseCores({ dir, cores: 4, apply: (n) => applied.push(n), everyMs: 60_000 });
    try {
      expect(applied).toEqual([2]);
      expect(lease.refreshIfDue()).toBe(2); // not due: no re-read
      await other.stop();
      expect(lease.refreshIfDue()).toBe(2);
      expect(lease.refresh()).toBe(4);
      expect(existsSync(join(dir, `${other.pid}.json`))).toBe(false); // the gone holder's file is removed
      const third = otherHolder();
      expect(lease.refreshIfDue(Date.now() + 60_000)).toBe(2);
      await third.stop();
      expect(lease.refresh()).toBe(4);
      expect(applied).toEqual([2, 4, 2, 4]);
    } finally {
      lease.release();
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a reused pid (another start time) and a torn file are not holders', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(join(dir, `${gone}.json`), JSON.stringify({ pid: gone }));
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, startTime: 'not-this-process' }));
    writeFileSync(join(dir, '12.json'), '{"pid": 1');
    expect(leaseHolders(dir)).toEqual([]);
  });

  it('a missing folder has no holders', () => {
    expect(leaseHolders(join(dir, 'none'))).toEqual([]);
  });
});

const addon = addonForTests();
(addon ? describe : describe.skip)('the native kernels on a lease', () => {
  afterAll(() => useCpu());

  it('take the cores a finished holder gave back, between two kernel calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-lease-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    writeFileSync(join(dir, `${pid}.json`), JSON.stringify({ pid, startTime: processStartTime(pid) }));
    await useWasm(addon);
    const lease = leaseNativeCores({ dir, cores: 2, everyMs: 0 });
    try {
      expect(addon?.threads()).toBe(1);
      await new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGKILL')));
      const before = tf.memory().numTensors;
      tf.tidy(() => tf.conv2d(tf.ones([2, 16, 16, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 8]) as tf.Tensor4D, 1, 'same').dataSync());
      expect(tf.memory().numTensors).toBe(before);
      expect(addon?.threads()).toBe(2);
    } finally {
      lease?.release();
      setBeforeKernel(undefined);
      addon?.setThreads(1);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
