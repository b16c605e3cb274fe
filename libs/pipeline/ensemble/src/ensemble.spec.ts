import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile, readNpy, writeNpy } from '@segkit/io';
import { UserError } from '@segkit/io';
import { foldLayout } from '@segkit/run';
import { ensemblePaths, ensembleTestPath, readEnsembleGate, readEnsembleMeta, readEnsembleOof } from './artifacts';
import { ensembleFolds } from './ensemble';

/** Two folds over train ids a,b,c (fold 0 validates a,c; fold 1 validates b), images of 1×2 pixels. */
function fixture(): { work: string; k: number } {
  const work = mkdtempSync(join(tmpdir(), 'ens-'));
  const spec = [
    { ids: ['c', 'a'], s1: [1, 2, 3, 4], s2: [5, 6, 7, 8], test: [1, 1, -1, -1, 4, 0] },
    { ids: ['b'], s1: [9, 9], s2: [10, 10], test: [3, -1, 1, 1, 0, 2] },
  ];
  spec.forEach((s, fold) => {
    const p = foldLayout(work, fold).predict;
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.oofIds, s.ids.join('\n') + '\n');
    writeNpy(p.oofStage1, Float32Array.from(s.s1), [s.ids.length, 1, 2]);
    writeNpy(p.oofStage2, Float32Array.from(s.s2), [s.ids.length, 1, 2]);
    writeNpy(p.test, Float32Array.from(s.test), [3, 1, 2]);
    atomicWriteFile(p.meta, JSON.stringify({ fold, height: 1, width: 2, nOof: s.ids.length, nTest: 3, testIds: ['t1', 't2', 't3'], tta: ['identity'], oofStage1Tta: ['identity'], models: ['best'], weights: `${fold}`.repeat(64), fingerprint: `${fold + 5}`.repeat(64) }));
  });
  return { work, k: spec.length };
}

describe('ensembleFolds', () => {
  it('averages test logits chunk by chunk and scatters OOF into train order', () => {
    const { work, k } = fixture();
    const meta = ensembleFolds({ workDir: work, k, trainIds: ['a', 'b', 'c'], mode: 'logit-mean', chunkImages: 2 });
    const out = ensemblePaths(work);
    expect(meta.testIds).toEqual(['t1', 't2', 't3']);
    // (1+3)/2, (1−1)/2, (−1+1)/2, (−1+1)/2, (4+0)/2, (0+2)/2
    expect(readNpy(out.test).shape).toEqual([3, 1, 2]);
    expect([...readNpy(out.test).data]).toEqual([2, 0, 0, 0, 2, 1]);
    // a = second image of fold 0, b = fold 1, c = first image of fold 0
    expect(readNpy(out.oofStage1).shape).toEqual([3, 1, 2]);
    expect([...readNpy(out.oofStage1).data]).toEqual([3, 4, 9, 9, 1, 2]);
    expect([...readNpy(out.oofStage2).data]).toEqual([7, 8, 10, 10, 5, 6]);
    expect(readFileSync(out.oofIds, 'utf8')).toBe('a\nb\nc\n');
    expect(readFileSync(out.testIds, 'utf8')).toBe('t1\nt2\nt3\n');
  });

  it('with an empty-mask gate: OOF gates in train order, test gates averaged like the logits, read back by readEnsembleGate', () => {
    const { work, k } = fixture();
    const gates = [{ oof: [0.5, -1], test: [2, -2, 0] }, { oof: [3], test: [0, 2, 1] }];
    gates.forEach((g, fold) => {
      const p = foldLayout(work, fold).predict;
      const meta = JSON.parse(readFileSync(p.meta, 'utf8'));
      writeNpy(p.oofGate, Float32Array.from(g.oof), [g.oof.length]);
      writeNpy(p.testGate, Float32Array.from(g.test), [3]);
      atomicWriteFile(p.meta, JSON.stringify({ ...meta, gate: true }));
    });
    const meta = ensembleFolds({ workDir: work, k, trainIds: ['a', 'b', 'c'], mode: 'logit-mean' });
    expect(meta.gate).toBe(true);
    // a = fold 0's second (−1), b = fold 1's (3), c = fold 0's first (0.5); test (2+0)/2, (−2+2)/2, (0+1)/2.
    expect([...(readEnsembleGate(work, 'oof', meta) as Float32Array)]).toEqual([-1, 3, 0.5]);
    expect([...(readEnsembleGate(work, 'test', meta) as Float32Array)]).toEqual([1, 0, 0.5]);
    // A run without a gate writes no gate files and reads none.
    const plain = fixture();
    const noGate = ensembleFolds({ workDir: plain.work, k: plain.k, trainIds: ['a', 'b', 'c'], mode: 'logit-mean' });
    expect(readEnsembleGate(plain.work, 'oof', noGate)).toBeUndefined();
    expect(existsSync(ensemblePaths(plain.work).oofGate)).toBe(false);
  });

  it('fails when a train id has no OOF prediction, writing nothing', () => {
    const { work, k } = fixture();
    expect(() => ensembleFolds({ workDir: work, k, trainIds: ['a', 'b', 'c', 'd'], mode: 'logit-mean' })).toThrow('1 train ids have no OOF prediction (first: d)');
    expect(existsSync(ensemblePaths(work).meta)).toBe(false);
  });

  it('a fold\'s truncated test logits are a UserError naming the file, writing no ensemble', () => {
    const { work, k } = fixture();
    const p = foldLayout(work, 1).predict.test;
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 8));
    expect(() => ensembleFolds({ workDir: work, k, trainIds: ['a', 'b', 'c'], mode: 'logit-mean', chunkImages: 2 })).toThrow(`${p}: 144 bytes, but shape (3, 1, 2) needs 152`);
    expect(existsSync(ensemblePaths(work).test)).toBe(false);
    expect(existsSync(ensemblePaths(work).meta)).toBe(false);
  });

  it('fails when an OOF id is not a train id', () => {
    const { work, k } = fixture();
    expect(() => ensembleFolds({ workDir: work, k, trainIds: ['a', 'b'], mode: 'logit-mean' })).toThrow('id c is not a train id');
  });
});

describe('ensemble readers', () => {
  function ensembled(): string {
    const { work, k } = fixture();
    ensembleFolds({ workDir: work, k, trainIds: ['a', 'b', 'c'], mode: 'logit-mean' });
    return work;
  }

  it('read back what the ensemble wrote, checked against the data', () => {
    const work = ensembled();
    expect(readEnsembleMeta(work)).toEqual({ mode: 'logit-mean', folds: [0, 1], height: 1, width: 2, trainIds: ['a', 'b', 'c'], testIds: ['t1', 't2', 't3'], fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect([...readEnsembleOof(work, 2, ['a', 'b', 'c']).logits]).toEqual([7, 8, 10, 10, 5, 6]);
    expect(ensembleTestPath(work, readEnsembleMeta(work))).toBe(ensemblePaths(work).test);
  });

  it('a truncated meta.json is a UserError naming the file', () => {
    const work = ensembled();
    const p = ensemblePaths(work).meta;
    writeFileSync(p, readFileSync(p, 'utf8').slice(0, 20));
    expect(() => readEnsembleMeta(work)).toThrow(UserError);
    expect(() => readEnsembleMeta(work)).toThrow(`${p}: not valid JSON`);
  });

  it('a foreign meta.json is a UserError naming the field', () => {
    const work = ensembled();
    const p = ensemblePaths(work).meta;
    writeFileSync(p, JSON.stringify({ ...readEnsembleMeta(work), mode: 'median' }));
    expect(() => readEnsembleMeta(work)).toThrow(`${p}: mode:`);
  });

  it('OOF logits of another size than the metadata say are a UserError', () => {
    const work = ensembled();
    writeNpy(ensemblePaths(work).oofStage1, new Float32Array(4), [2, 1, 2]);
    expect(() => readEnsembleOof(work, 1)).toThrow(`${ensemblePaths(work).oofStage1}: shape (2, 1, 2), expected (3, 1, 2)`);
  });

  it('OOF logits of other train ids than the data are a UserError', () => {
    const work = ensembled();
    expect(() => readEnsembleOof(work, 2, ['a', 'c', 'b'])).toThrow(`${ensemblePaths(work).meta}: trainIds:`);
  });

  it('a test-ids sidecar that disagrees with the metadata is a UserError', () => {
    const work = ensembled();
    writeFileSync(ensemblePaths(work).testIds, 't1\nt3\nt2\n');
    expect(() => ensembleTestPath(work, readEnsembleMeta(work))).toThrow(`${ensemblePaths(work).testIds}: 3 ids that are not`);
  });
});
