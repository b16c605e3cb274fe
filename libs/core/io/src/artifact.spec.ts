import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidArtifactError, readJsonArtifact, writeJsonArtifact } from './artifact';
import { errorLine, exitCodeFor, fromFileSystemError, UserError } from './errors';

const schema = z
  .object({
    epoch: z.number().int().nonnegative(),
    // JSON has no NaN: written as null, read back as NaN.
    loss: z.number().nullable().transform((v) => v ?? NaN),
    note: z.string().optional(),
  })
  .strict();

describe('JSON artifacts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'artifact-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes what its reader reads back (NaN as null, an undefined field dropped)', () => {
    const p = join(dir, 'sub', 'state.json');
    writeJsonArtifact(p, schema, { epoch: 3, loss: NaN, note: undefined }, 'train');
    expect(readFileSync(p, 'utf8')).toBe('{\n  "epoch": 3,\n  "loss": null\n}\n');
    expect(readJsonArtifact(p, schema, 'train')).toEqual({ epoch: 3, loss: NaN });
  });

  it.each([
    ['a missing field', { loss: 1 }, 'epoch: Required'],
    ['a field of the wrong type', { epoch: 'three', loss: 1 }, 'epoch: Expected number, received string'],
    ['a foreign field', { epoch: 1, loss: 1, extra: true }, "(root): Unrecognized key(s) in object: 'extra'"],
    ['a field JSON loses (undefined)', { epoch: undefined, loss: 1 }, 'epoch: Required'],
  ])('%s is a bug of the writer, naming the file, the field and the step; nothing is written', (_, record, field) => {
    const p = join(dir, 'state.json');
    let err: unknown;
    try {
      writeJsonArtifact(p, schema, record as never, 'train');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArtifactError);
    expect(err).not.toBeInstanceOf(UserError);
    expect(exitCodeFor(err)).toBe(2);
    expect((err as Error).message).toBe(`bug in the writer of ${p} (train): ${field}; its own reader would reject the record, so nothing was written`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an invalid record leaves the previous file whole', () => {
    const p = join(dir, 'state.json');
    writeFileSync(p, '{"epoch":1,"loss":0.5}');
    expect(() => writeJsonArtifact(p, schema, { epoch: -1, loss: 0 }, 'train')).toThrow(InvalidArtifactError);
    expect(readFileSync(p, 'utf8')).toBe('{"epoch":1,"loss":0.5}');
    expect(existsSync(p)).toBe(true);
  });
});

describe('fromFileSystemError', () => {
  const errno = (code: string, syscall: string, path?: string, dest?: string) => Object.assign(new Error(`${code}: …, ${syscall}`), { code, syscall, path, dest });
  it.each([
    [errno('ENOSPC', 'write', '/out/submission.csv'), '/out: no space left on device (write submission.csv); free some space there or choose another folder'],
    [errno('ENOSPC', 'copyfile', '/work/sub.csv', '/out/submission.csv'), '/out: no space left on device (copyfile submission.csv); free some space there or choose another folder'],
    [errno('EACCES', 'mkdir', '/out/report'), '/out/report: permission denied (mkdir report); check its permissions or choose another folder'],
    [errno('EROFS', 'open', '/mnt/ro/x.npy'), '/mnt/ro: read-only file system (open x.npy); choose a writable folder'],
  ])('%s → one user-error line naming the folder', (err, line) => {
    const e = fromFileSystemError(err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).message).toBe(line);
    expect(exitCodeFor(err)).toBe(1);
    expect(errorLine(err)).toBe(line);
  });

  it('leaves bugs and pathless errors alone', () => {
    const bug = new TypeError('x is undefined');
    expect(fromFileSystemError(bug)).toBe(bug);
    const noPath = errno('ENOSPC', 'write');
    expect(fromFileSystemError(noPath)).toBe(noPath);
    expect(exitCodeFor(errno('ENOENT', 'open', '/x'))).toBe(2);
  });
});
