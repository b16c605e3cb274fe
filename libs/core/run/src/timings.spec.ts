import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { foldLayout } from './layout';
import { readFoldBackend, writeFoldBackend } from './timings';

describe('fold backend.json', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'fold-backend-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('reads back what was written, and undefined for a fold that recorded nothing', () => {
    writeFoldBackend(work, 1, { backend: 'wasm', device: 'GPU 1' });
    expect(readFoldBackend(work, 1)).toEqual({ backend: 'wasm', device: 'GPU 1' });
    expect(readFoldBackend(work, 0)).toBeUndefined();
  });

  it.each([
    ['{"backend":', 'not valid JSON'],
    ['{"device":"GPU 0"}', 'backend: Required'],
    ['{"backend":"wasm","gpu":0}', '(root):'],
  ])('%s is a UserError naming the file and field', (text, message) => {
    const path = foldLayout(work, 0).backend;
    mkdirSync(foldLayout(work, 0).dir, { recursive: true });
    writeFileSync(path, text);
    expect(() => readFoldBackend(work, 0)).toThrow(UserError);
    expect(() => readFoldBackend(work, 0)).toThrow(`${path}: ${message}`);
  });
});
