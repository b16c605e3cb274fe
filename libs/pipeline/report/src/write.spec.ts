import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSummary } from './summary';
import { handInput } from './testing';
import { writeReport } from './write';

describe('writeReport', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tgs-report-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes index.html and summary.json and nothing else, creating the directory', async () => {
    const out = join(root, 'run', 'report');
    await writeReport(out, handInput());
    expect(readdirSync(out).sort()).toEqual(['curves.csv', 'index.html', 'summary.json']);
    expect(readdirSync(join(root, 'run'))).toEqual(['report']);
    // fold 0 has three epochs, fold 1 two (see testing.ts)
    expect(readFileSync(join(out, 'curves.csv'), 'utf8').split('\n').slice(0, 2)).toEqual(['fold,epoch,stage,loss,val_loss,val_mAP,lr,seconds', '0,1,1,0.9,1,0.25,0.001,10']);
    expect(readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n')).toHaveLength(6);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toEqual(JSON.parse(JSON.stringify(buildSummary(handInput()))));
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<section id="worst">');
  });

  it('overwrites a previous report and leaves other files in the directory alone', async () => {
    const out = join(root, 'run');
    mkdirSync(out);
    writeFileSync(join(out, 'submission.csv'), 'id,rle_mask\n');
    await writeReport(out, handInput());
    const second = handInput();
    second.title = 'second run';
    second.oofMapTuned = 0.8;
    await writeReport(out, second);
    expect(readdirSync(out).sort()).toEqual(['curves.csv', 'index.html', 'submission.csv', 'summary.json']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ title: 'second run', oof_mAP_tuned: 0.8 });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<h1>second run</h1>');
    expect(readFileSync(join(out, 'submission.csv'), 'utf8')).toBe('id,rle_mask\n');
  });

  it('writes nothing when the input is invalid', async () => {
    const out = join(root, 'bad');
    const input = handInput();
    input.worst[0].pred = new Uint8Array(4);
    await expect(writeReport(out, input)).rejects.toThrow(/worst image "<script>x<\/script>": pred has 4 values/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('keeps the previous report intact when a rerun fails', async () => {
    const out = join(root, 'run');
    await writeReport(out, handInput());
    const before = readFileSync(join(out, 'index.html'), 'utf8');
    const bad = handInput();
    bad.oofMapStage2 = NaN;
    await expect(writeReport(out, bad)).rejects.toThrow(/oofMapStage2/);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual(['curves.csv', 'index.html', 'summary.json']);
  });
});
