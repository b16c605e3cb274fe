import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from './generate';
import { generateLayoutSynthetic } from './layout-generate';
import { sampleSeed } from './ids';
import { renderSample, type SyntheticSample } from './render';
import { forEachRendered, MIN_SAMPLES_FOR_WORKERS, RenderPool, renderWorkerCount, type RenderJob } from './render-pool';
import { renderLayoutSample, type LayoutSample } from './shapes';

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

describe('renderWorkerCount', () => {
  it('renders in-process for small sets or one core, else one worker per core up to 8', () => {
    expect(renderWorkerCount(MIN_SAMPLES_FOR_WORKERS - 1, {}, 16)).toBe(0);
    expect(renderWorkerCount(100_000, {}, 1)).toBe(0);
    expect(renderWorkerCount(MIN_SAMPLES_FOR_WORKERS, {}, 2)).toBe(2);
    expect(renderWorkerCount(100_000, {}, 64)).toBe(8);
  });

  it('takes SEGKIT_SYNTHETIC_WORKERS over its own rule and rejects a bad value by name', () => {
    expect(renderWorkerCount(10, { SEGKIT_SYNTHETIC_WORKERS: '3' }, 1)).toBe(3);
    expect(renderWorkerCount(100_000, { SEGKIT_SYNTHETIC_WORKERS: '0' }, 8)).toBe(0);
    expect(renderWorkerCount(100_000, { SEGKIT_SYNTHETIC_WORKERS: '' }, 4)).toBe(4);
    expect(() => renderWorkerCount(10, { SEGKIT_SYNTHETIC_WORKERS: 'two' }, 4)).toThrow(/SEGKIT_SYNTHETIC_WORKERS.*"two"/);
    expect(() => renderWorkerCount(10, { SEGKIT_SYNTHETIC_WORKERS: '-1' }, 4)).toThrow(/SEGKIT_SYNTHETIC_WORKERS/);
  });
});

describe('forEachRendered on worker threads', () => {
  const size = 37;
  const tgs = (i: number): RenderJob => ({ seed: sampleSeed(7, i), size });
  const ships = (i: number): RenderJob => ({ seed: sampleSeed(7, i), size, layout: 'airbus' });

  async function collect<S>(count: number, workers: number, job: (i: number) => RenderJob, here: (j: RenderJob) => S): Promise<S[]> {
    const out: S[] = new Array(count);
    await forEachRendered(count, workers, job, here, async (i, s) => {
      out[i] = s;
    });
    return out;
  }

  it('gives every sample exactly as rendering it in-process does (TGS and a layout)', async () => {
    const n = 23;
    const viaWorkers = await collect(n, 2, tgs, (j) => renderSample(j.seed, j.size));
    for (let i = 0; i < n; i++) {
      const here: SyntheticSample = renderSample(sampleSeed(7, i), size);
      expect(Buffer.from(viaWorkers[i].image).equals(Buffer.from(here.image))).toBe(true);
      expect(Buffer.from(viaWorkers[i].mask).equals(Buffer.from(here.mask))).toBe(true);
      expect(viaWorkers[i].depth).toBe(here.depth);
    }
    const layoutViaWorkers = await collect(n, 3, ships, (j) => renderLayoutSample('airbus', j.seed, j.size));
    for (let i = 0; i < n; i++) {
      const here: LayoutSample = renderLayoutSample('airbus', sampleSeed(7, i), size);
      expect(Buffer.from(layoutViaWorkers[i].image).equals(Buffer.from(here.image))).toBe(true);
      expect(layoutViaWorkers[i].objects.map((o) => Buffer.from(o).toString('base64'))).toEqual(here.objects.map((o) => Buffer.from(o).toString('base64')));
    }
  }, 60_000);

  it("passes a worker's render error to the caller and stops", async () => {
    const used: number[] = [];
    const bad = (i: number): RenderJob => ({ seed: 1, size: i === 5 ? -1 : 8 });
    await expect(
      forEachRendered(12, 2, bad, (j) => renderSample(j.seed, j.size), async (i) => {
        used.push(i);
      }),
    ).rejects.toThrow(/length|size|range/i);
    expect(used).not.toContain(5);
  }, 60_000);

  it('rejects jobs after close', async () => {
    const pool = new RenderPool(1);
    await expect(pool.render({ seed: 1, size: 8 })).resolves.toHaveProperty('depth');
    await pool.close();
    await expect(pool.render({ seed: 1, size: 8 })).rejects.toThrow('closed');
  }, 60_000);
});

describe('synthetic generation with render workers', () => {
  let root: string;
  const saved = process.env.SEGKIT_SYNTHETIC_WORKERS;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'segkit-render-pool-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.SEGKIT_SYNTHETIC_WORKERS;
    else process.env.SEGKIT_SYNTHETIC_WORKERS = saved;
  });

  async function both(generate: (outDir: string, truthPath: string) => Promise<unknown>): Promise<void> {
    process.env.SEGKIT_SYNTHETIC_WORKERS = '0';
    const a = await generate(join(root, 'here'), join(root, 'here-truth.csv'));
    process.env.SEGKIT_SYNTHETIC_WORKERS = '2';
    const b = await generate(join(root, 'workers'), join(root, 'workers-truth.csv'));
    expect(b).toEqual(a);
    const files = listFiles(join(root, 'here'));
    expect(listFiles(join(root, 'workers'))).toEqual(files);
    for (const f of files) expect({ f, same: readFileSync(join(root, 'here', f)).equals(readFileSync(join(root, 'workers', f))) }).toEqual({ f, same: true });
    expect(readFileSync(join(root, 'workers-truth.csv')).equals(readFileSync(join(root, 'here-truth.csv')))).toBe(true);
  }

  it('writes the same bytes and summary as in-process rendering (TGS layout)', async () => {
    await both((outDir, truthPath) => generateSynthetic({ outDir, truthPath, nTrain: 14, nTest: 6, size: 40, seed: 11 }));
  }, 60_000);

  it('writes the same bytes and summary as in-process rendering (Carvana layout: JPEGs, GIF masks)', async () => {
    await both((outDir, truthPath) => generateLayoutSynthetic({ layout: 'carvana', outDir, truthPath, nTrain: 8, nTest: 4, size: 40, seed: 11 }));
  }, 60_000);
});
