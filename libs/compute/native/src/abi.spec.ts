import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { ABI, abiMismatches, type AbiTables, CONV_GEOMETRY_LENGTH, POOL_GEOMETRY_LENGTH } from './abi';
import { ADDON_FUNCTIONS, loadAddon } from './addon';
import { addonForTests } from './testing';

/** The tables as csrc/abi.h writes them, read from the header's X-macro lists (no build needed). */
function headerTables(): AbiTables {
  const text = readFileSync(join(__dirname, '..', 'csrc', 'abi.h'), 'utf8').replace(/\\\n/g, ' ');
  const lists = new Map<string, Record<string, number>>();
  for (const m of text.matchAll(/#define (SEGKIT_ABI_\w+)\(X\)(.*)/g)) {
    const entries: Record<string, number> = {};
    for (const e of m[2].matchAll(/X\(\s*\w+\s*,\s*"(\w+)"\s*,\s*(\d+)\s*\)/g)) entries[e[1]] = Number(e[2]);
    lists.set(m[1], entries);
  }
  const tables: AbiTables = {};
  const index = /#define SEGKIT_ABI_TABLES\(T\)(.*)/.exec(text);
  for (const t of index?.[1].matchAll(/T\(\s*\w+\s*,\s*"(\w+)"\s*,\s*(SEGKIT_ABI_\w+)\s*\)/g) ?? []) tables[t[1]] = lists.get(t[2]) ?? {};
  return tables;
}

/** A copy of the tables with one value changed. */
function withValue(table: string, name: string, value: number): AbiTables {
  const copy: AbiTables = JSON.parse(JSON.stringify(ABI));
  copy[table][name] = value;
  return copy;
}

describe('the interface constants shared with the addon', () => {
  it('csrc/abi.h defines exactly the tables of src/abi.ts', () => {
    const header = headerTables();
    expect(Object.keys(header)).toEqual(Object.keys(ABI));
    expect(abiMismatches(header)).toEqual([]);
  });

  it('geometry positions run 0..length-1 without gaps', () => {
    expect(Object.values(ABI.convGeometry).sort((a, b) => a - b)).toEqual([...Array(CONV_GEOMETRY_LENGTH).keys()]);
    expect(Object.values(ABI.poolGeometry).sort((a, b) => a - b)).toEqual([...Array(POOL_GEOMETRY_LENGTH).keys()]);
    expect([CONV_GEOMETRY_LENGTH, POOL_GEOMETRY_LENGTH]).toEqual([17, 12]);
  });

  it.each([
    ['the same tables', ABI, []],
    ['a changed op code', withValue('binaryOps', 'Multiply', 3), ['binaryOps.Multiply is 2 here but 3 in the addon']],
    ['a changed geometry position', withValue('convGeometry', 'padTop', 14), ['convGeometry.padTop is 13 here but 14 in the addon']],
    ['a constant only the addon has', withValue('unaryOps', 'Exp', 3), ['unaryOps.Exp is in the addon but not here']],
    ['a table the addon lacks', { ...ABI, broadcast: undefined }, ['broadcast is missing from the addon']],
    ['no tables at all', undefined, ['abi() returned no tables']],
  ] as const)('%s', (_name, native, expected) => {
    expect(abiMismatches(native)).toEqual(expected);
  });

  it('a constant only this side has is named too', () => {
    const { Neg: _neg, ...unary } = ABI.unaryOps;
    expect(abiMismatches({ ...ABI, unaryOps: unary })).toEqual(['unaryOps.Neg is missing from the addon']);
  });
});

describe('loading an addon whose interface differs', () => {
  /** A module standing in for the addon, exporting `source`. */
  function fakeAddon(source: string): { path: string; done: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-native-abi-'));
    const path = join(dir, 'fake-addon.js');
    writeFileSync(path, source);
    return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('stops with an error naming the constant and the rebuild command', () => {
    const tables = withValue('activations', 'relu', 4);
    const fake = fakeAddon(`module.exports = { abi: () => (${JSON.stringify(tables)}) };`);
    try {
      expect(() => loadAddon(fake.path)).toThrow(UserError);
      expect(() => loadAddon(fake.path)).toThrow(/does not match this checkout's interface: activations\.relu is 1 here but 4 in the addon; rebuild it with npm run build:native/);
    } finally {
      fake.done();
    }
  });

  it('an addon built before abi() existed is an error too', () => {
    const fake = fakeAddon('module.exports = { conv2d() {} };');
    try {
      expect(() => loadAddon(fake.path)).toThrow(/built from older sources \(it has no abi\(\)\); rebuild it with npm run build:native/);
    } finally {
      fake.done();
    }
  });

  const functions = (except: string[] = []): string =>
    ADDON_FUNCTIONS.filter((f) => f !== 'abi' && !except.includes(f))
      .map((f) => `${f}() {}`)
      .join(', ');

  it('an addon with the same tables and every function loads', () => {
    const fake = fakeAddon(`module.exports = { abi: () => (${JSON.stringify(ABI)}), ${functions()} };`);
    try {
      expect(loadAddon(fake.path).addon).toBeDefined();
    } finally {
      fake.done();
    }
  });

  it('an addon built before a function existed is an error naming it', () => {
    const fake = fakeAddon(`module.exports = { abi: () => (${JSON.stringify(ABI)}), ${functions(['box'])} };`);
    try {
      expect(() => loadAddon(fake.path)).toThrow(/built from older sources \(it has no box\(\)\); rebuild it with npm run build:native/);
    } finally {
      fake.done();
    }
  });
});

const addon = addonForTests();
(addon ? describe : describe.skip)('the built addon', () => {
  it('exports the tables of src/abi.ts', () => {
    expect(addon?.abi()).toEqual(ABI);
  });

  it('names the call and the field of a bad argument object', () => {
    const heap = new ArrayBuffer(1024);
    expect(() => addon?.unary(heap, { op: 0, x: 0, n: 8 } as never)).toThrow('unary: y must be a number');
    expect(() => addon?.unary(heap, { op: 7, x: 0, y: 64, n: 8 })).toThrow('unary: op is not a known code');
    expect(() => addon?.unary(heap, { op: 0, x: 0, y: 1020, n: 8 })).toThrow('unary: y lies outside the wasm heap');
    expect(() => addon?.maxPool(heap, { geometry: new Int32Array(11), x: 0, y: 0 })).toThrow('maxPool: geometry must have 12 entries');
  });
});
