import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputDir } from './paths';
import { UserError } from './errors';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'out-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checkOutputDir', () => {
  it('accepts an existing folder and a folder still to be created', () => {
    expect(() => checkOutputDir(dir, '--out')).not.toThrow();
    expect(() => checkOutputDir(join(dir, 'a', 'b'), '--out')).not.toThrow();
  });

  it('rejects an existing regular file by name', () => {
    const file = join(dir, 'out');
    writeFileSync(file, 'x');
    expect(() => checkOutputDir(file, '--out')).toThrow(new UserError(`--out ${file} is an existing file, not a folder`));
  });

  it('rejects a path below a regular file', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    expect(() => checkOutputDir(join(file, 'sub'), '--out')).toThrow(`--out ${join(file, 'sub')}: ${file} is a file, not a folder`);
  });

});
