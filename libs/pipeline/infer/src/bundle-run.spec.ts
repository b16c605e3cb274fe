import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import { atomicWriteFile, UserError } from '@segkit/io';
import { runLayout } from '@segkit/run';
import { readBundle } from './bundle';
import { bundleRun } from './bundle-run';

const spec = { format: 'tgs-inference-1', height: 5, width: 4, inputScale: 255, padding: { mode: 'reflect', top: 1, bottom: 2, left: 2, right: 2 }, output: 'logits' };

/** A work directory whose two folds have prediction metadata and an exported model folder each. */
function predictedRun(work: string, tta: string[][]): void {
  tta.forEach((t, fold) => {
    const p = runLayout(work).fold(fold).predict;
    mkdirSync(join(p.models, 'best'), { recursive: true });
    writeFileSync(join(p.models, 'best', 'model.json'), JSON.stringify({ fold, userDefinedMetadata: { tgsInference: spec } }));
    writeFileSync(join(p.models, 'best', 'weights.bin'), Buffer.from([fold]));
    atomicWriteFile(p.meta, JSON.stringify({ fold, height: 5, width: 4, nOof: 3, nTest: 2, testIds: ['t1', 't2'], tta: t, oofStage1Tta: ['identity'], models: ['best'], weights: 'a'.repeat(64), fingerprint: 'b'.repeat(64) }));
  });
}

describe('bundleRun', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bundle-run-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));
  const config = parseConfig({ name: 'exp', folds: { k: 2 }, predict: { batchSize: 7 }, ensemble: { mode: 'prob-mean' } });
  const tuned = { logitThreshold: -0.25, probThreshold: 0.4378, minArea: 10 };

  it("bundles every fold's models with the folds' TTA, the model's spec, the config's settings and the tuned point", async () => {
    predictedRun(work, [['identity', 'hflip'], ['identity', 'hflip']]);
    const info = await bundleRun({ workDir: work, config, tuned });
    const b = readBundle(runLayout(work).bundle.dir);
    expect(b.info).toEqual(info);
    expect(info).toMatchObject({ name: 'exp', height: 5, width: 4, tta: ['identity', 'hflip'], batchSize: 7, ensemble: { mode: 'prob-mean' }, ...tuned });
    expect(info.folds).toEqual([
      { fold: 0, models: ['best'] },
      { fold: 1, models: ['best'] },
    ]);
  });

  it('folds predicted with different TTA are an error naming the odd fold', async () => {
    predictedRun(work, [['identity', 'hflip'], ['identity']]);
    const meta = runLayout(work).fold(1).predict.meta;
    await expect(bundleRun({ workDir: work, config, tuned })).rejects.toThrow(`${meta}: tta: identity, but fold 0 used identity, hflip`);
  });

  it('refuses input.mode "crop" before reading anything', async () => {
    const crop = parseConfig({ name: 'exp', folds: { k: 2 }, input: { mode: 'crop', size: 64 } });
    await expect(bundleRun({ workDir: work, config: crop, tuned })).rejects.toThrow('input.mode "crop" has no bundle: infer does not predict by tiles yet');
  });

  it('a fold without predictions names its missing metadata', async () => {
    predictedRun(work, [['identity']]);
    const err = await bundleRun({ workDir: work, config, tuned }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`${runLayout(work).fold(1).predict.meta} is missing`);
  });
});
