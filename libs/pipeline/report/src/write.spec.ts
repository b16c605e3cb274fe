import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { buildSummary, readSummary } from './summary';
import { handInput } from '../fixtures/hand-input';
import { writeReport } from './write';

/** An input the page cannot render: its config cannot be shown as JSON. */
function cyclicConfig() {
  const input = handInput();
  const config: Record<string, unknown> = {};
  config.self = config;
  input.config = config;
  return input;
}

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
    expect(readFileSync(join(out, 'curves.csv'), 'utf8').split('\n').slice(0, 2)).toEqual(['fold,epoch,stage,loss,val_loss,val_score,lr,seconds', '0,1,1,0.9,1,0.25,0.001,10']);
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
    second.oofScoreTuned = 0.8;
    await writeReport(out, second);
    expect(readdirSync(out).sort()).toEqual(['curves.csv', 'index.html', 'submission.csv', 'summary.json']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ title: 'second run', oof_score_tuned: 0.8 });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<h1>second run</h1>');
    expect(readFileSync(join(out, 'submission.csv'), 'utf8')).toBe('id,rle_mask\n');
  });

  it('writes nothing when the input is invalid', async () => {
    const out = join(root, 'bad');
    await expect(writeReport(out, cyclicConfig())).rejects.toThrow(/circular/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('keeps the previous report intact when a rerun fails', async () => {
    const out = join(root, 'run');
    await writeReport(out, handInput());
    const before = readFileSync(join(out, 'index.html'), 'utf8');
    await expect(writeReport(out, cyclicConfig())).rejects.toThrow(/circular/);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual(['curves.csv', 'index.html', 'summary.json']);
  });

  it('summary.json reads back through its validating reader, a diverged loss as null', async () => {
    const out = join(root, 'report');
    const input = handInput();
    input.folds[0].history[1].loss = NaN;
    await writeReport(out, input);
    const summary = readSummary(join(out, 'summary.json'));
    expect(summary).toMatchObject({ oof_score_stage1: 0.5, oof_score_tuned: 0.75, test_score: null, worthless: false });
    expect(summary.folds[0].curve[1].loss).toBeNull();
  });

  it.each<[string, (s: Record<string, unknown>) => unknown, string]>([
    ['truncated', (s) => JSON.stringify(s).slice(0, 50), 'not valid JSON'],
    ['an mAP above 1', (s) => JSON.stringify({ ...s, oof_score_tuned: 1.5 }), 'oof_score_tuned:'],
    ['a renamed key (another version)', (s) => JSON.stringify({ ...s, oof_map_tuned: s.oof_score_tuned, oof_score_tuned: undefined }), 'oof_score_tuned:'],
    ['a fold without its device', (s) => JSON.stringify({ ...s, folds: (s.folds as Record<string, unknown>[]).map(({ device: _d, ...f }) => f) }), 'folds.0.device:'],
  ])('a %s summary.json is a UserError naming the file and field', async (_, edit, message) => {
    const out = join(root, 'report');
    await writeReport(out, handInput());
    const path = join(out, 'summary.json');
    writeFileSync(path, edit(JSON.parse(readFileSync(path, 'utf8'))) as string);
    expect(() => readSummary(path)).toThrow(UserError);
    expect(() => readSummary(path)).toThrow(`${path}: ${message}`);
  });
});
