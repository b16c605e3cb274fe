import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteJson, readNpy, writeNpy } from '@tgs/io';
import { predictionPaths } from '@tgs/predict';
import { ensembleFolds, ensemblePaths } from './ensemble';

/** Two folds over train ids a,b,c (fold 0 validates a,c; fold 1 validates b), images of 1×2 pixels. */
function fixture(): { work: string; foldDirs: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'ens-'));
  const spec = [
    { ids: ['c', 'a'], s1: [1, 2, 3, 4], s2: [5, 6, 7, 8], test: [1, 1, -1, -1, 4, 0] },
    { ids: ['b'], s1: [9, 9], s2: [10, 10], test: [3, -1, 1, 1, 0, 2] },
  ];
  const foldDirs = spec.map((s, fold) => {
    const d = join(work, `fold-${fold}`);
    const p = predictionPaths(d);
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.oofIds, s.ids.join('\n') + '\n');
    writeNpy(p.oofStage1, Float32Array.from(s.s1), [s.ids.length, 1, 2]);
    writeNpy(p.oofStage2, Float32Array.from(s.s2), [s.ids.length, 1, 2]);
    writeNpy(p.test, Float32Array.from(s.test), [3, 1, 2]);
    atomicWriteJson(p.meta, { fold, height: 1, width: 2, nOof: s.ids.length, nTest: 3, testIds: ['t1', 't2', 't3'], tta: ['identity'] });
    return d;
  });
  return { work, foldDirs };
}

describe('ensembleFolds', () => {
  it('averages test logits chunk by chunk and scatters OOF into train order', () => {
    const { work, foldDirs } = fixture();
    const meta = ensembleFolds({ workDir: work, foldDirs, trainIds: ['a', 'b', 'c'], mode: 'logit-mean', chunkImages: 2 });
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

  it('fails when a train id has no OOF prediction, writing nothing', () => {
    const { work, foldDirs } = fixture();
    expect(() => ensembleFolds({ workDir: work, foldDirs, trainIds: ['a', 'b', 'c', 'd'], mode: 'logit-mean' })).toThrow('1 train ids have no OOF prediction (first: d)');
    expect(existsSync(ensemblePaths(work).meta)).toBe(false);
  });

  it('fails when an OOF id is not a train id', () => {
    const { work, foldDirs } = fixture();
    expect(() => ensembleFolds({ workDir: work, foldDirs, trainIds: ['a', 'b'], mode: 'logit-mean' })).toThrow('id c is not a train id');
  });
});
