import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdsFile, writeIdsFile } from './ids';
import { UserError } from './errors';

describe('ids sidecars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ids-'));

  it('writes one id per line and reads them back in order', () => {
    const path = join(dir, 'oof-ids.txt');
    writeIdsFile(path, ['b2', 'a1', 'c3']);
    expect(readFileSync(path, 'utf8')).toBe('b2\na1\nc3\n');
    expect(readIdsFile(path, 'predict')).toEqual(['b2', 'a1', 'c3']);
  });

  it('says which step writes a missing file', () => {
    expect(() => readIdsFile(join(dir, 'none.txt'), 'predict')).toThrow(UserError);
    expect(() => readIdsFile(join(dir, 'none.txt'), 'predict')).toThrow(/none\.txt is missing: run the predict step first/);
  });
});
