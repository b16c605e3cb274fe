import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { makeFolds, readFoldsCsv, writeFoldsCsv, type FoldItem } from './index';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-folds-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const items: FoldItem[] = Array.from({ length: 40 }, (_, i) => ({
  id: `im${(i * 7919) % 40}`,
  coverage: (i % 11) / 10,
  depth: i * 13,
}));

describe('writeFoldsCsv', () => {
  it('writes id,fold rows sorted by id, whatever the map order', () => {
    const file = join(dir, 'folds.csv');
    writeFoldsCsv(file, new Map([['b', 1], ['a', 0], ['c', 1]]));
    expect(readFileSync(file, 'utf8')).toBe('id,fold\na,0\nb,1\nc,1\n');
    expect(readdirSync(dir)).toEqual(['folds.csv']); // no temporary left behind
  });

  it('same seed gives the same bytes; another seed gives other bytes', () => {
    const write = (name: string, seed: number, input: FoldItem[]) => {
      writeFoldsCsv(join(dir, name), makeFolds(input, { k: 5, seed, stratify: 'coverage' }));
      return readFileSync(join(dir, name));
    };
    const a = write('a.csv', 17, items);
    expect(write('b.csv', 17, [...items].reverse()).equals(a)).toBe(true);
    expect(write('c.csv', 18, items).equals(a)).toBe(false);
  });

  it('round-trips through readFoldsCsv', () => {
    const folds = makeFolds(items, { k: 4, seed: 2, stratify: 'depth' });
    const file = join(dir, 'folds.csv');
    writeFoldsCsv(file, folds);
    expect(readFoldsCsv(file, items.map((it) => it.id))).toEqual(folds);
  });

  it('refuses folds it could not read back', () => {
    expect(() => writeFoldsCsv(join(dir, 'x.csv'), new Map([['a', -1]]))).toThrow(RangeError);
    expect(() => writeFoldsCsv(join(dir, 'x.csv'), new Map([['a,b', 0]]))).toThrow(RangeError);
  });
});

describe('readFoldsCsv', () => {
  it('tolerates CRLF line ends, a BOM and blank lines', () => {
    const file = join(dir, 'folds.csv');
    writeFileSync(file, '\ufeffid,fold\r\nb,1\r\n\r\na,0\r\n');
    expect(readFoldsCsv(file)).toEqual(new Map([['b', 1], ['a', 0]]));
  });

  it.each([
    ['wrong header', 'id,split\na,0\n', undefined, 'line 1: header must be "id,fold", got "id,split"'],
    ['empty file', '', undefined, ': empty file, expected the header "id,fold"'],
    ['too many fields', 'id,fold\na,0,1\n', undefined, 'line 2: expected 2 fields (id,fold), got 3'],
    ['empty id', 'id,fold\n,0\n', undefined, 'line 2: empty id'],
    ['duplicate id', 'id,fold\na,0\nb,1\na,1\n', undefined, 'line 4: duplicate id "a" (first seen on line 2)'],
    ['fold not an integer', 'id,fold\na,0\nb,1.5\n', undefined, 'line 3 (id b): fold "1.5" is not a non-negative integer'],
    ['negative fold', 'id,fold\na,-1\n', undefined, 'line 2 (id a): fold "-1" is not a non-negative integer'],
    ['unknown id', 'id,fold\na,0\nz,1\n', ['a', 'b'], 'line 3: id "z" is not in the training set'],
    ['missing ids', 'id,fold\na,0\n', ['a', 'b', 'c'], ': 2 training id(s) have no fold: "b", "c"'],
    ['a gap in the fold numbers', 'id,fold\na,0\nb,2\n', undefined, ': folds must be numbered 0..2 without gaps, but fold 1 has no rows'],
  ])('%s', (_name, text, expectedIds, message) => {
    const file = join(dir, 'folds.csv');
    writeFileSync(file, text);
    let caught: unknown;
    try {
      readFoldsCsv(file, expectedIds);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(`${file}${message.startsWith(':') ? '' : ' '}${message}`);
  });

  it('a missing file', () => {
    const file = join(dir, 'absent.csv');
    expect(() => readFoldsCsv(file)).toThrow(`${file}: cannot read (ENOENT)`);
  });
});
