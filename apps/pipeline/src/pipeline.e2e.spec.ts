/**
 * End to end: the real pipeline (Nx targets, one process per step and fold) on a few dozen tiny
 * synthetic images, checking what a user relies on.
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeLuminance, decodeMask } from '@segkit/data';
import { readNpy } from '@segkit/io';
import { decodeRle } from '@segkit/rle';
import { encodeDicom, generateSynthetic } from '@segkit/synthetic';
import { WORKSPACE_ROOT } from './context';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

const SIZE = 32;
const root = join(WORKSPACE_ROOT, 'tmp', `e2e-${process.pid}`);
const dataDir = join(root, 'data');
const outDir = join(root, 'out');
const configPath = join(root, 'tiny.json');
const workRel = join('tmp', `e2e-${process.pid}`, 'work');

const tinyConfig = {
  name: 'e2e',
  seed: 7,
  folds: { k: 2 },
  model: { depth: 2, baseFilters: 4 },
  train: { batchSize: 8 },
  stage1: { epochs: 1, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.002, loss: [{ kind: 'lovasz', weight: 1 }] },
  predict: { batchSize: 16 },
  tune: { probSteps: 5, refineSteps: 3, minAreas: [0, 5] },
};

function entry(script: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src', script), ...args], {
    cwd: WORKSPACE_ROOT,
    // The cache is part of what is tested here, so it is on even when the suite runs with NX_SKIP_NX_CACHE.
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'false', SEGKIT_WORK: workRel, ...env },
    encoding: 'utf8',
  });
}

function runPipeline(): SpawnSyncReturns<string> {
  return entry('run.ts', ['--data', dataDir, '--out', outDir, '--config', configPath, '--backend', 'wasm']);
}

function csvRows(path: string): string[][] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));
}

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  await generateSynthetic({ outDir: dataDir, truthPath: join(root, 'truth.csv'), nTrain: 24, nTest: 8, size: SIZE, seed: 11 });
  writeFileSync(configPath, JSON.stringify(tinyConfig));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pipeline end to end', () => {
  let first: SpawnSyncReturns<string>;

  it('runs every fold through both stages to a valid submission and report', () => {
    first = runPipeline();
    expect(first.stderr + first.stdout).not.toMatch(/error:/);
    expect(first.status).toBe(0);

    const sample = csvRows(join(dataDir, 'sample_submission.csv')).slice(1).map((r) => r[0]);
    const rows = csvRows(join(outDir, 'submission.csv'));
    expect(rows[0]).toEqual(['id', 'rle_mask']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(sample);
    for (const [, rle] of rows.slice(1)) expect(decodeRle(rle ?? '', SIZE, SIZE)).toHaveLength(SIZE * SIZE);

    const summary = JSON.parse(readFileSync(join(outDir, 'report', 'summary.json'), 'utf8'));
    for (const key of ['oof_score_stage1', 'oof_score_stage2', 'logit_threshold', 'prob_threshold', 'min_area']) {
      expect(typeof summary[key]).toBe('number');
    }
    expect(summary.logit_threshold).toBeCloseTo(Math.log(summary.prob_threshold / (1 - summary.prob_threshold)), 6);
    expect(summary.folds).toHaveLength(2);
    const curves = csvRows(join(outDir, 'report', 'curves.csv'));
    expect(curves[0]).toEqual(['fold', 'epoch', 'stage', 'loss', 'val_loss', 'val_score', 'lr', 'seconds']);
    expect(curves.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([['0', '1', '1'], ['0', '1', '2'], ['1', '1', '1'], ['1', '1', '2']]);
    const html = readFileSync(join(outDir, 'report', 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(summary.oof_score_stage2.toFixed(3));
    // The bundle is beside the report, in the work directory and in --out: the report says how to open its demo.
    expect(html).toContain('npm run demo -- --bundle ../bundle');
  }, 240_000);

  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  (numpy || process.env.CI === 'true' ? it : it.skip)('np.load reads the OOF and test logits, ids in the sidecar files', () => {
    if (!numpy) throw new Error('python3 with numpy is required on CI (apt-get install python3-numpy)');
    const ens = join(WORKSPACE_ROOT, workRel, 'ensemble');
    const script = [
      'import sys, numpy as np',
      'for name in ("oof-stage2", "test"):',
      '    a = np.load(f"{sys.argv[1]}/{name}.npy")',
      '    ids = open(f"{sys.argv[1]}/{name.split(\'-\')[0]}-ids.txt").read().split()',
      '    print(name, a.dtype, a.shape, len(ids), bool(np.isfinite(a).all()))',
    ].join('\n');
    const res = spawnSync('python3', ['-c', script, ens], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim().split('\n')).toEqual([`oof-stage2 float32 (24, ${SIZE}, ${SIZE}) 24 True`, `test float32 (8, ${SIZE}, ${SIZE}) 8 True`]);
  });
  if (!numpy && process.env.CI !== 'true') it('np.load check skipped: python3-numpy is not installed', () => undefined);

  describe('infer with the run\'s bundle', () => {
    const bundle = () => join(outDir, 'bundle');
    const infer = (args: string[]) =>
      spawnSync(process.execPath, ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/infer/src/main.ts'), ...args], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
    const sortedRows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').slice(1).sort();

    it('reproduces the pipeline\'s submission exactly on the competition\'s test images', () => {
      expect(JSON.parse(readFileSync(join(bundle(), 'manifest.json'), 'utf8')).files.map((f: { path: string }) => f.path)).toEqual(
        expect.arrayContaining(['bundle.json', 'config.json', 'folds/fold-0/best/model.json', 'folds/fold-1/best/weights.bin']),
      );
      const out = join(root, 'infer.csv');
      const res = infer(['--bundle', bundle(), '--images', join(dataDir, 'test', 'images'), '--out', out, '--backend', 'wasm']);
      expect(res.stderr).not.toMatch(/error:/);
      expect(res.status).toBe(0);
      expect(res.stderr).toMatch(/infer/); // progress and a summary line
      expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('id,rle_mask');
      const rows = sortedRows(out);
      expect(rows).toHaveLength(8);
      expect(rows).toEqual(sortedRows(join(outDir, 'submission.csv')));

      // The logits behind the masks, bit for bit (a check that holds even when a tiny model predicts few masks).
      const logitsOut = join(root, 'infer.npy');
      expect(infer(['--bundle', bundle(), '--images', join(dataDir, 'test', 'images'), '--out', logitsOut, '--backend', 'wasm']).status).toBe(0);
      const mine = readNpy(logitsOut);
      const theirs = readNpy(join(WORKSPACE_ROOT, workRel, 'ensemble', 'test.npy'));
      expect(mine.shape).toEqual(theirs.shape);
      const myIds = readFileSync(join(root, 'infer-ids.txt'), 'utf8').trim().split('\n');
      const theirIds = readFileSync(join(WORKSPACE_ROOT, workRel, 'ensemble', 'test-ids.txt'), 'utf8').trim().split('\n');
      const pixels = SIZE * SIZE;
      theirIds.forEach((id, i) => {
        const j = myIds.indexOf(id);
        expect(Buffer.from(mine.data.buffer, mine.data.byteOffset + j * pixels * 4, pixels * 4).equals(Buffer.from(theirs.data.buffer, theirs.data.byteOffset + i * pixels * 4, pixels * 4))).toBe(true);
      });
    }, 120_000);

    it('writes one mask PNG per image, the same masks as the submission', async () => {
      const masks = join(root, 'masks');
      const res = infer(['--bundle', bundle(), '--images', join(dataDir, 'test', 'images'), '--out', masks, '--backend', 'wasm']);
      expect(res.status).toBe(0);
      const submission = new Map(csvRows(join(outDir, 'submission.csv')).slice(1).map(([id, rle]) => [id, rle ?? '']));
      expect(readdirSync(masks).sort()).toEqual([...submission.keys()].map((id) => `${id}.png`).sort());
      for (const [id, rle] of submission) {
        const png = await decodeMask(join(masks, `${id}.png`));
        expect([png.height, png.width]).toEqual([SIZE, SIZE]);
        expect(Array.from(png.data)).toEqual(Array.from(decodeRle(rle, SIZE, SIZE)));
      }
      // A folder holding anything but masks is never replaced.
      writeFileSync(join(masks, 'keep.txt'), 'mine');
      const again = infer(['--bundle', bundle(), '--images', join(dataDir, 'test', 'images'), '--out', masks, '--backend', 'wasm']);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain(`${masks}: holds files other than .png masks (keep.txt)`);
      expect(readFileSync(join(masks, 'keep.txt'), 'utf8')).toBe('mine');
    }, 120_000);

    function expectInferFailure(args: string[], message: RegExp | string, out: string): void {
      const res = infer([...args, '--out', out, '--backend', 'wasm']);
      const output = res.stderr + res.stdout;
      expect(res.status).toBe(1);
      expect(output).toMatch(message);
      expect(output).not.toMatch(/^\s+at /m);
      expect(existsSync(out)).toBe(false);
    }

    it('an image of the wrong size or a non-image file is an error naming the file', async () => {
      const wrong = join(root, 'wrong-size');
      cpSync(join(dataDir, 'test', 'images'), wrong, { recursive: true });
      await sharp(Buffer.alloc(16 * 16), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(join(wrong, 'zzsmall.png'));
      expectInferFailure(['--bundle', bundle(), '--images', wrong], `${join(wrong, 'zzsmall.png')}: image is 16×16, the bundle's models take ${SIZE}×${SIZE}`, join(root, 'x1.csv'));
      const notImage = join(root, 'not-image');
      cpSync(join(dataDir, 'test', 'images'), notImage, { recursive: true });
      writeFileSync(join(notImage, 'notes.txt'), 'hello');
      expectInferFailure(['--bundle', bundle(), '--images', notImage], `${join(notImage, 'notes.txt')}: not an image (.png, .jpg, .tif, .dcm)`, join(root, 'x2.csv'));
      writeFileSync(join(wrong, 'zzsmall.png'), 'not really a png');
      expectInferFailure(['--bundle', bundle(), '--images', wrong], `${join(wrong, 'zzsmall.png')}: cannot decode image`, join(root, 'x3.csv'));
    }, 120_000);

    it('a corrupt or incomplete bundle is an error naming the file', () => {
      const corrupt = join(root, 'bundle-corrupt');
      cpSync(bundle(), corrupt, { recursive: true });
      const weights = join(corrupt, 'folds', 'fold-1', 'best', 'weights.bin');
      const bytes = readFileSync(weights);
      bytes[7] ^= 0x40;
      writeFileSync(weights, bytes);
      expectInferFailure(['--bundle', corrupt, '--images', join(dataDir, 'test', 'images')], `${weights}: checksum mismatch`, join(root, 'y1.csv'));
      const incomplete = join(root, 'bundle-incomplete');
      cpSync(bundle(), incomplete, { recursive: true });
      rmSync(join(incomplete, 'folds', 'fold-0', 'best', 'model.json'));
      expectInferFailure(['--bundle', incomplete, '--images', join(dataDir, 'test', 'images')], `${join(incomplete, 'folds', 'fold-0', 'best', 'model.json')}: missing`, join(root, 'y2.csv'));
      rmSync(join(incomplete, 'manifest.json'));
      expectInferFailure(['--bundle', incomplete, '--images', join(dataDir, 'test', 'images')], `${join(incomplete, 'manifest.json')}: missing`, join(root, 'y3.csv'));
    }, 120_000);
  });

  describe('the browser demo of the run\'s bundle', () => {
    const bundle = () => join(outDir, 'bundle');
    const infer = (args: string[]) =>
      spawnSync(process.execPath, ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/infer/src/main.ts'), ...args], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
    // Debian's chromium, driven by playwright-core (which downloads nothing); on CI a missing
    // browser is a failure, elsewhere the test is skipped saying why.
    const chromiumPath = process.env.SEGKIT_CHROMIUM ?? '/usr/bin/chromium';
    const haveChromium = existsSync(chromiumPath);
    if (!haveChromium && process.env.CI !== 'true') it(`skipped: no Chromium at ${chromiumPath} (apt-get install chromium)`, () => undefined);

    (haveChromium || process.env.CI === 'true' ? it : it.skip)(
      'segments uploaded test images (PNG 8 and 16 bits, DICOM, JPEG) as npm run infer does, in headless Chromium, and shows bad images, a corrupt bundle and a missing backend on the page',
      async () => {
        if (!haveChromium) throw new Error(`Chromium is required on CI (apt-get install chromium); none at ${chromiumPath}`);
        const { chromium } = await import('playwright-core');
        // A copy of the bundle, so the page's own checksum check can be shown a changed file.
        const served = join(root, 'demo-bundle');
        cpSync(bundle(), served, { recursive: true });
        const testImages = join(dataDir, 'test', 'images');
        const picked = readdirSync(testImages).sort().slice(0, 4);
        const images = join(root, 'demo-images');
        mkdirSync(images, { recursive: true });
        for (const f of picked) cpSync(join(testImages, f), join(images, f));
        // Three of them in the other kinds the page reads: a 16-bit PNG and a 12-bit DICOM hold the
        // same luminance (v·257, and v·4095/255 in 12 bits, both round back to v), a JPEG is lossy
        // and so compared with npm run infer on the same file only.
        const stem = (f: string) => f.replace(/\.png$/, '');
        const planes = await Promise.all(picked.map((f) => decodeLuminance(join(testImages, f))));
        await sharp(Uint16Array.from(planes[1].data, (v) => v * 257), { raw: { width: SIZE, height: SIZE, channels: 1 } }).toColourspace('grey16').png().toFile(join(images, picked[1]));
        rmSync(join(images, picked[2]));
        const dicom = { height: SIZE, width: SIZE, sopInstanceUid: '1.2.3', studyUid: '1.2', seriesUid: '1.2.4', bitsStored: 12 };
        writeFileSync(join(images, `${stem(picked[2])}.dcm`), encodeDicom({ ...dicom, pixels: Uint16Array.from(planes[2].data, (v) => v * 16 + (v >> 4)) }));
        rmSync(join(images, picked[3]));
        await sharp(Buffer.from(planes[3].data), { raw: { width: SIZE, height: SIZE, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toFile(join(images, `${stem(picked[3])}.jpg`));
        const lossy = new Set([stem(picked[3])]);
        const uploads = readdirSync(images).sort();
        expect(uploads).toHaveLength(picked.length);
        const logitsOut = join(root, 'demo-infer.npy');
        expect(infer(['--bundle', served, '--images', images, '--out', logitsOut, '--backend', 'wasm']).status).toBe(0);
        const expected = readNpy(logitsOut);
        const expectedIds = readFileSync(join(root, 'demo-infer-ids.txt'), 'utf8').trim().split('\n');
        const info = JSON.parse(readFileSync(join(served, 'bundle.json'), 'utf8'));
        const submission = new Map(csvRows(join(outDir, 'submission.csv')).slice(1).map(([id, rle]) => [id, rle ?? '']));
        const broken = join(root, 'demo-broken');
        mkdirSync(broken, { recursive: true });
        writeFileSync(join(broken, 'notes.png'), 'not really a png');
        await sharp(Buffer.alloc(16 * 16), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(join(broken, 'zzsmall.png'));

        const server = spawn(process.execPath, ['--require', 'tsx/cjs', join(WORKSPACE_ROOT, 'apps/demo/src/main.ts'), '--bundle', served, '--port', '0'], { cwd: WORKSPACE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let serverLog = '';
        const url = await new Promise<string>((resolveUrl, fail) => {
          server.stderr.on('data', (d) => {
            serverLog += d;
            const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(serverLog);
            if (m) resolveUrl(m[1]);
          });
          server.on('exit', (code) => fail(new Error(`npm run demo exited (${code}): ${serverLog}`)));
        });
        const profile = mkdtempSync(join(root, 'chromium-'));
        const browser = await chromium.launchPersistentContext(profile, {
          executablePath: chromiumPath,
          headless: true,
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        try {
          const page = await browser.newPage();
          const outside: string[] = [];
          page.on('request', (r) => {
            if (!r.url().startsWith(url) && !/^(data|blob):/.test(r.url())) outside.push(r.url());
          });
          const open = async (query = '') => {
            await page.goto(url + query);
            await page.waitForFunction(() => ['ready', 'failed'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });
            return { status: (await page.textContent('#status')) ?? '', errors: await page.$$eval('#errors div', (ds) => ds.map((d) => d.textContent ?? '')) };
          };

          const first = await open();
          expect(first.errors).toEqual([]);
          expect(first.status).toMatch(/^backend: (webgl|wasm|cpu)\b/);
          await page.setInputFiles('#files', uploads.map((f) => join(images, f)));
          await page.waitForFunction((n) => Number(document.body.dataset.processed ?? 0) >= n, picked.length, { timeout: 120_000 });
          const results = (await page.evaluate(() => (window as unknown as { tgsDemo: { results(): unknown } }).tgsDemo.results())) as { id: string; rle: string; area: number; logits: number[] }[];
          expect(results.map((r) => r.id).sort()).toEqual(picked.map(stem).sort());
          const pixels = SIZE * SIZE;
          for (const r of results) {
            const i = expectedIds.indexOf(r.id);
            const theirs = expected.data.subarray(i * pixels, (i + 1) * pixels);
            let worst = 0;
            r.logits.forEach((v, p) => (worst = Math.max(worst, Math.abs(v - theirs[p]))));
            expect({ id: r.id, worst: worst <= 1e-4 }).toEqual({ id: r.id, worst: true });
            if (lossy.has(r.id)) continue;
            // The same mask as the submission, but for pixels whose logit is within the tolerance of the threshold.
            const mine = decodeRle(r.rle, SIZE, SIZE);
            const want = decodeRle(submission.get(r.id) ?? '', SIZE, SIZE);
            const differ = [...mine.keys()].filter((p) => mine[p] !== want[p] && Math.abs(theirs[p] - info.logitThreshold) > 1e-4);
            expect({ id: r.id, differ }).toEqual({ id: r.id, differ: [] });
            if (r.rle !== submission.get(r.id)) expect(Math.abs(r.area - want.reduce((s, v) => s + v, 0))).toBeLessThanOrEqual(2);
          }
          expect(await page.$$eval('.card canvas', (cs) => cs.length)).toBe(picked.length);
          expect(await page.$$eval('.card svg', (cs) => cs.length)).toBe(picked.length);

          // A file that is no image and an image of another size: one error line each, naming the file; the others stay.
          await page.setInputFiles('#files', [join(broken, 'notes.png'), join(broken, 'zzsmall.png')]);
          await page.waitForFunction((n) => Number(document.body.dataset.processed ?? 0) >= n, picked.length + 2, { timeout: 60_000 });
          expect(await page.$$eval('#errors div', (ds) => ds.map((d) => d.textContent))).toEqual([
            'notes.png: not a PNG, JPEG or DICOM image',
            `zzsmall.png: image is 16×16, the bundle's models take ${SIZE}×${SIZE}`,
          ]);
          expect(await page.$$eval('.card', (cs) => cs.length)).toBe(picked.length);

          // A backend that cannot load, and a bundle file changed after the server started.
          expect((await open('?backend=nonexistent')).errors).toEqual([expect.stringMatching(/^no tfjs backend could load: nonexistent/)]);
          const weights = join(served, 'folds', 'fold-1', 'best', 'weights.bin');
          const bytes = readFileSync(weights);
          bytes[3] ^= 0x10;
          writeFileSync(weights, bytes);
          const corrupt = await open();
          expect(corrupt.errors).toEqual([expect.stringMatching(/^bundle\/folds\/fold-1\/best\/weights\.bin: checksum mismatch/)]);
          expect(outside).toEqual([]);
        } finally {
          await browser.close();
          server.kill('SIGTERM');
        }
      },
      300_000,
    );
  });

  it('is a cache hit when nothing changed', () => {
    const again = runPipeline();
    expect(again.status).toBe(0);
    const out = again.stdout + again.stderr;
    // Every step that does work (data, folds, 2 × train, 2 × predict, ensemble, tune, submit, bundle, report) is restored.
    expect({ restored: (out.match(/\[local cache\]/g) ?? []).length, out }).toEqual({ restored: 11, out: expect.anything() });
  }, 120_000);

  it('a fold killed mid-training resumes to the same weights as an uninterrupted one', async () => {
    // Uninterrupted reference: the pipeline's own fold 0 above. Resumed: a copy of the work folder
    // whose fold 0 is retrained in a process killed right after its first checkpoint.
    const workDir = join(WORKSPACE_ROOT, workRel);
    const resumeRel = join('tmp', `e2e-${process.pid}`, 'resume');
    const resumeDir = join(WORKSPACE_ROOT, resumeRel);
    mkdirSync(resumeDir, { recursive: true });
    cpSync(join(workDir, 'folds.csv'), join(resumeDir, 'folds.csv'));
    const longer = { ...tinyConfig, stage1: { ...tinyConfig.stage1, epochs: 3 } };
    const longerPath = join(root, 'longer.json');
    writeFileSync(longerPath, JSON.stringify(longer));
    const args = ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src/main.ts'), 'train', '--fold', '0', '--config', longerPath, '--data', dataDir, '--backend', 'wasm'];
    const envFor = (rel: string) => ({ ...process.env, SEGKIT_WORK: rel });

    // Reference run of the longer config, uninterrupted.
    const refRel = join('tmp', `e2e-${process.pid}`, 'reference');
    mkdirSync(join(WORKSPACE_ROOT, refRel), { recursive: true });
    cpSync(join(workDir, 'folds.csv'), join(WORKSPACE_ROOT, refRel, 'folds.csv'));
    expect(spawnSync(process.execPath, args, { cwd: WORKSPACE_ROOT, env: envFor(refRel) }).status).toBe(0);

    // Killed with SIGKILL once the first epoch's checkpoint is committed, then resumed.
    const ckptDir = join(resumeDir, 'fold-0', 'stage1', 'checkpoints');
    const child = spawn(process.execPath, args, { cwd: WORKSPACE_ROOT, env: envFor(resumeRel), stdio: 'ignore' });
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        if (existsSync(ckptDir) && readdirSync(ckptDir).some((f) => f.endsWith('.json'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          done();
        }
      }, 5);
    });
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(join(resumeDir, 'fold-0', 'result.json'))).toBe(false);
    const resumed = spawnSync(process.execPath, args, { cwd: WORKSPACE_ROOT, env: envFor(resumeRel), encoding: 'utf8' });
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after epoch 1\/3/);

    const weights = (rel: string, stage: number) => readFileSync(join(WORKSPACE_ROOT, rel, 'fold-0', `stage${stage}`, 'best', 'weights.bin'));
    const history = (rel: string) =>
      (JSON.parse(readFileSync(join(WORKSPACE_ROOT, rel, 'fold-0', 'result.json'), 'utf8')).stage1.history as Array<Record<string, number>>).map(
        ({ seconds: _s, ...row }) => row,
      );
    expect(history(resumeRel)).toEqual(history(refRel));
    expect(weights(resumeRel, 1).equals(weights(refRel, 1))).toBe(true);
    expect(weights(resumeRel, 2).equals(weights(refRel, 2))).toBe(true);
  }, 240_000);
});

describe('experiments and a blend as Nx projects', () => {
  const tag = `e2e${process.pid}`;
  const names = { a: `${tag}-a`, b: `${tag}-b`, blend: `${tag}-ab` };
  const expFile = (name: string) => join(WORKSPACE_ROOT, 'experiments', `${name}.json`);
  const expWork = (name: string) => join(WORKSPACE_ROOT, 'runs', 'work', name);

  beforeAll(() => {
    mkdirSync(join(WORKSPACE_ROOT, 'experiments'), { recursive: true });
    // Two experiments extending the tiny config (the same folds), and a blend of both with tuned weights.
    writeFileSync(expFile(names.a), JSON.stringify({ extends: configPath }));
    writeFileSync(expFile(names.b), JSON.stringify({ extends: configPath, seed: 8, model: { baseFilters: 6 } }));
    writeFileSync(expFile(names.blend), JSON.stringify({ blend: { members: [names.a, names.b], weights: 'tune' }, tune: { probSteps: 5, refineSteps: 3, minAreas: [0, 5] } }));
  });
  afterAll(() => {
    for (const n of Object.values(names)) {
      rmSync(expFile(n), { force: true });
      rmSync(expWork(n), { recursive: true, force: true });
    }
  });

  it('nx run-many -t report runs both experiments and the blend, whose report compares them', () => {
    const nx = join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx');
    const res = spawnSync(nx, ['run-many', '-t', 'report', '-p', Object.values(names).join(','), '--output-style=stream', '--parallel=2'], {
      cwd: WORKSPACE_ROOT,
      // Its project graph in its own workspace data: in the shared default, an Nx of another suite
      // building its graph at the same moment would lend this one its projects and targets.
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_WORKSPACE_DATA_DIRECTORY: join(root, 'nx-data'), SEGKIT_DATA: dataDir, SEGKIT_BACKEND: 'wasm' },
      encoding: 'utf8',
    });
    expect(res.stdout + res.stderr).not.toMatch(/error:/);
    expect(res.status).toBe(0);
    // Each experiment in its own work directory, with its own report and bundle.
    for (const n of [names.a, names.b]) {
      expect(existsSync(join(expWork(n), 'ensemble', 'oof-stage2.npy'))).toBe(true);
      expect(JSON.parse(readFileSync(join(expWork(n), 'report', 'summary.json'), 'utf8')).folds).toHaveLength(2);
      expect(existsSync(join(expWork(n), 'bundle', 'manifest.json'))).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(expWork(names.blend), 'report', 'summary.json'), 'utf8'));
    expect(summary.members.map((m: { name: string }) => m.name)).toEqual([names.a, names.b]);
    for (const m of summary.members) expect(m.oof_score).toBeGreaterThanOrEqual(0);
    expect(summary.members.reduce((s: number, m: { weight: number }) => s + m.weight, 0)).toBeCloseTo(1, 9);
    expect(summary.gain_over_best_member).toBeCloseTo(summary.oof_score - Math.max(...summary.members.map((m: { oof_score: number }) => m.oof_score)), 9);
    const html = readFileSync(join(expWork(names.blend), 'report', 'index.html'), 'utf8');
    expect(html).toContain(names.a);
    expect(html).toContain(summary.oof_score.toFixed(4));
    const sample = csvRows(join(dataDir, 'sample_submission.csv')).slice(1).map((r) => r[0]);
    expect(csvRows(join(expWork(names.blend), 'submission', 'submission.csv')).slice(1).map((r) => r[0])).toEqual(sample);
  }, 600_000);
});

describe('pipeline bad input', () => {
  function expectCleanFailure(res: SpawnSyncReturns<string>, message: RegExp, out: string): void {
    const output = res.stderr + res.stdout;
    expect(res.status).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect(existsSync(out)).toBe(false);
  }

  it('a data folder without test/images', () => {
    const bad = join(root, 'no-test');
    cpSync(dataDir, bad, { recursive: true });
    rmSync(join(bad, 'test'), { recursive: true });
    const out = join(root, 'out-no-test');
    expectCleanFailure(entry('run.ts', ['--data', bad, '--out', out, '--config', configPath]), /test\/images/, out);
  });

  it('a sample submission naming an id without an image', () => {
    const bad = join(root, 'bad-sample');
    cpSync(dataDir, bad, { recursive: true });
    writeFileSync(join(bad, 'sample_submission.csv'), readFileSync(join(bad, 'sample_submission.csv'), 'utf8') + 'deadbeef00,1 1\n');
    const out = join(root, 'out-bad-sample');
    expectCleanFailure(entry('run.ts', ['--data', bad, '--out', out, '--config', configPath]), /deadbeef00/, out);
  });

  it.each([
    ['an unknown loss', { stage2: { epochs: 1, lr: 0.001, loss: [{ kind: 'focal', weight: 1 }] } }, /stage2\.loss\.0\.kind/],
    ['a negative learning rate', { stage1: { epochs: 1, lr: -0.1, loss: [{ kind: 'bce', weight: 1 }] } }, /stage1\.lr/],
  ])('a config with %s', (_what, patch, message) => {
    const path = join(root, `bad-${Object.keys(patch)[0]}.json`);
    writeFileSync(path, JSON.stringify({ ...tinyConfig, ...patch }));
    const out = join(root, 'out-bad-config');
    expectCleanFailure(entry('run.ts', ['--data', dataDir, '--out', out, '--config', path]), message, out);
  });
});
