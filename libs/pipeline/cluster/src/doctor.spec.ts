import * as tf from '@tensorflow/tfjs';
import { CUDA_LIBRARIES, doctorLines, DoctorProbes, findLibraries, probeBackends } from './doctor';
import { parseNvidiaSmiList } from './gpus';

const LDCONFIG = [
  '1234 libs found in cache `/etc/ld.so.cache\'',
  '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.2/lib64/libcudart.so.11.0',
  '\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1',
  '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1',
  '\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1',
].join('\n');

function probes(patch: Partial<DoctorProbes> = {}): DoctorProbes {
  return {
    backends: async () => [
      { candidate: 'tensorflow-gpu', ok: false, reason: '@tensorflow/tfjs-node-gpu is not installed' },
      { candidate: 'tensorflow', ok: false, reason: '@tensorflow/tfjs-node is not installed' },
      { candidate: 'wasm+native', ok: false, reason: 'the native addon is not built (no oneDNN headers)' },
      { candidate: 'wasm', ok: true },
      { candidate: 'cpu', ok: true },
    ],
    nativeKernels: () => ({ available: false, reason: 'the native addon is not built (no oneDNN headers)', threads: 1 }),
    gpus: () => ({ gpus: [], reason: 'nvidia-smi -L not found' }),
    ldconfig: () => '',
    fileExists: () => false,
    gpuBackendInstalled: () => false,
    env: {},
    cores: 2,
    folds: 4,
    ...patch,
  };
}

describe('findLibraries', () => {
  it('looks in LD_LIBRARY_PATH first, then the 64-bit entries of the ldconfig cache', () => {
    const found = findLibraries(['libcudnn.so.8', 'libcudart.so.11.0', 'libcuda.so.1', 'libcufft.so.10'], '/opt/cudnn/lib:/nowhere', LDCONFIG, (p) => p === '/opt/cudnn/lib/libcudnn.so.8');
    expect(found).toEqual([
      { name: 'libcudnn.so.8', path: '/opt/cudnn/lib/libcudnn.so.8' },
      { name: 'libcudart.so.11.0', path: '/usr/local/cuda-11.2/lib64/libcudart.so.11.0' },
      { name: 'libcuda.so.1', path: '/usr/lib/x86_64-linux-gnu/libcuda.so.1' },
      { name: 'libcufft.so.10' },
    ]);
  });
});

describe('doctorLines', () => {
  it('on a CPU-only machine: why the native backends do not load, no GPUs, no CUDA, the wasm choice', async () => {
    const lines = await doctorLines(probes());
    expect(lines).toEqual([
      'backends: tensorflow-gpu no (@tensorflow/tfjs-node-gpu is not installed); tensorflow no (@tensorflow/tfjs-node is not installed); wasm+native no (the native addon is not built (no oneDNN headers)); wasm loads; cpu loads',
      'native CPU kernels: off (the native addon is not built (no oneDNN headers))',
      'GPUs: none (nvidia-smi -L not found)',
      `CUDA 11 / cuDNN 8 libraries (for tensorflow-gpu): 0/${CUDA_LIBRARIES.length} found; missing ${CUDA_LIBRARIES.join(', ')} — searched LD_LIBRARY_PATH and the ldconfig cache`,
      // 4 folds on 2 cores: 2 fold processes of 1 thread each.
      "threads: 2 core(s) available; 2 fold process(es) x 1 native thread(s) for 4 folds; libuv pool 4 (default); tfjs's own wasm kernels run single-threaded in Node",
      'pipeline would choose: backend wasm (auto), --parallel 2 --threads 1, no GPUs (nvidia-smi -L not found)',
    ]);
  });

  it('on a GPU machine: the GPUs, the libraries found, and folds spread over the GPUs', async () => {
    const lines = await doctorLines(
      probes({
        backends: async () => [
          { candidate: 'tensorflow-gpu', ok: true },
          { candidate: 'tensorflow', ok: false, reason: 'not probed' },
          { candidate: 'wasm+native', ok: true },
          { candidate: 'wasm', ok: true },
          { candidate: 'cpu', ok: true },
        ],
        nativeKernels: () => ({ available: true, version: '3.0.0', threads: 8 }),
        gpus: () => ({ gpus: parseNvidiaSmiList('GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-2)\n') }),
        ldconfig: () => LDCONFIG,
        gpuBackendInstalled: () => true,
        env: { UV_THREADPOOL_SIZE: '16' },
        cores: 32,
        folds: 5,
      }),
    );
    expect(lines[1]).toBe('native CPU kernels: on (oneDNN 3.0.0)');
    expect(lines[2]).toBe('GPUs: 2: 0 NVIDIA A100-SXM4-40GB, 1 NVIDIA A100-SXM4-40GB');
    expect(lines[3]).toMatch(/^CUDA 11 \/ cuDNN 8 libraries \(for tensorflow-gpu\): 2\/9 found \(\/usr\/lib\/x86_64-linux-gnu\/libcuda\.so\.1, \/usr\/local\/cuda-11\.2\/lib64\/libcudart\.so\.11\.0\); missing libcublas\.so\.11,/);
    // 5 folds on 32 cores: 5 processes of floor(32 / 5) = 6 threads.
    expect(lines[4]).toBe("threads: 32 core(s) available; 5 fold process(es) x 6 native thread(s) for 5 folds; libuv pool 16; tfjs's own wasm kernels run single-threaded in Node");
    expect(lines[5]).toBe('pipeline would choose: backend tensorflow-gpu (auto), --parallel 5 --threads 6, GPUs 0, 1 (all that nvidia-smi lists)');
  });

  it('follows SEGKIT_BACKEND, and says when the forced backend does not load', async () => {
    expect((await doctorLines(probes({ env: { SEGKIT_BACKEND: 'cpu' } }))).at(-1)).toBe('pipeline would choose: backend cpu (cpu from SEGKIT_BACKEND), --parallel 2 --threads 1, no GPUs (backend cpu)');
    expect((await doctorLines(probes({ env: { SEGKIT_BACKEND: 'tensorflow' } }))).at(-1)).toMatch(/^pipeline would choose: no backend: tensorflow does not load/);
    expect((await doctorLines(probes({ env: { SEGKIT_BACKEND: 'gpu' } }))).at(-1)).toMatch(/^pipeline would choose: nothing — SEGKIT_BACKEND: unknown backend "gpu"/);
  });

  it('follows SEGKIT_THREADS and the config the way the pipeline splits the cores', async () => {
    // 8 cores, 4 threads asked: 2 fold processes of 4 threads.
    expect((await doctorLines(probes({ cores: 8, env: { SEGKIT_THREADS: '4' } }))).at(-1)).toMatch(/--parallel 2 --threads 4,/);
    expect((await doctorLines(probes({ cores: 8, configThreads: 8 }))).at(-1)).toMatch(/--parallel 1 --threads 8,/);
  });
});

describe('probeBackends', () => {
  it('loads each backend for real on this machine and explains each that does not load', async () => {
    const before = tf.memory().numTensors;
    const result = await probeBackends();
    expect(result.map((r) => r.candidate)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm+native', 'wasm', 'cpu']);
    expect(result.find((r) => r.candidate === 'cpu')?.ok).toBe(true);
    for (const r of result) if (!r.ok) expect(r.reason).toMatch(/\S/);
    expect(result.find((r) => r.candidate === 'tensorflow-gpu')?.reason ?? '').not.toMatch(/^backend "/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
