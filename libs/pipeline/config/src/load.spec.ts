import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { presets, resolveConfigPath } from '@segkit/run';
import { UNET_DEFAULTS } from '@segkit/models/defaults';
import { checkBlendConfig, loadConfig, parseConfig } from './load';


describe('config', () => {
  it('fills defaults from an empty object', () => {
    const cfg = parseConfig({});
    expect(cfg.folds.k).toBe(5);
    expect(cfg.stage1.loss).toEqual([{ kind: 'bce', weight: 1 }]);
    expect(cfg.stage2.loss[0].kind).toBe('lovasz');
    expect(cfg.tune.probSteps).toBe(31);
  });

  it("fills the model section with the U-Net's own defaults (one table, @segkit/models)", () => {
    const model = parseConfig({}).model;
    // padTo stays unset (derived from depth by the model), encoderWeights optional.
    expect(Object.fromEntries(Object.entries(model).filter(([, v]) => v !== undefined))).toEqual({ ...UNET_DEFAULTS });
  });

  it('reads the input section: pad by default, resize to a size or by a factor', () => {
    expect(parseConfig({}).input).toEqual({ mode: 'pad' });
    expect(parseConfig({ input: { mode: 'resize', size: [64, 96] } }).input).toEqual({ mode: 'resize', size: [64, 96] });
    expect(parseConfig({ input: { mode: 'resize', scale: 2 } }).input).toEqual({ mode: 'resize', scale: 2 });
  });

  it.each(presets())('preset %s parses', (name) => {
    const cfg = loadConfig(resolveConfigPath(name));
    expect(cfg.stage1.epochs).toBeGreaterThan(0);
    expect(cfg.stage2.epochs).toBeGreaterThan(0);
  });

  it.each([
    [{ stage2: { epochs: 1, lr: 1e-3, loss: [{ kind: 'focal', weight: 1 }] } }, 'stage2.loss.0.kind'],
    [{ stage1: { epochs: 1, lr: -0.1, loss: [{ kind: 'bce', weight: 1 }] } }, 'stage1.lr'],
    [{ folds: { k: 1 } }, 'folds.k'],
    [{ stage1: { epochs: 0, lr: 0.1, loss: [{ kind: 'bce', weight: 1 }] } }, 'stage1.epochs'],
    [{ modle: {} }, '(root)'],
    [{ tune: { probFrom: 0.8, probTo: 0.2 } }, 'tune.probFrom'],
    [{ predict: { snapshots: true } }, 'predict.snapshots needs stage2.schedule.kind "cosine"'],
    [{ input: { mode: 'resize' } }, 'input.size: input.mode "resize" needs one of input.size'],
    [{ input: { mode: 'resize', size: 64, scale: 2 } }, 'input.size: input.mode "resize" needs one of input.size'],
    [{ input: { size: 64 } }, 'input.size applies to input.mode "resize" only'],
    [{ input: { mode: 'crop' } }, 'input.size: input.mode "crop" needs input.size'],
    [{ input: { mode: 'crop', size: 64, overlap: 64 } }, "input.overlap: input.overlap (64) must be smaller than the crop's side (64)"],
    [{ input: { mode: 'crop', size: 64, cropBias: 1.5 } }, 'input.cropBias'],
    [{ input: { mode: 'resize', size: 64, overlap: 8 } }, 'input.overlap applies to input.mode "crop" only'],
    [{ input: { mode: 'tiles' } }, "input.mode: Invalid enum value. Expected 'pad' | 'resize' | 'crop', received 'tiles'"],
  ])('rejects %j naming %s', (raw, field) => {
    expect(() => parseConfig(raw, 'x.json')).toThrow(UserError);
    expect(() => parseConfig(raw, 'x.json')).toThrow(field);
  });

  it('names the file for missing or malformed JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => loadConfig(bad)).toThrow(`${bad}: not valid JSON`);
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow('config file not found');
  });

  it('reads a config saved with a byte order mark and rejects a directory by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const bom = join(dir, 'bom.json');
    writeFileSync(bom, '\uFEFF{ "folds": { "k": 3 } }\r\n');
    expect(loadConfig(bom).folds.k).toBe(3);
    expect(() => loadConfig(dir)).toThrow(`${dir}: is a directory, not a config file`);
  });
});

describe('loss terms follow the rules of @segkit/losses', () => {
  it.each([
    [[{ kind: 'bce', weight: 0 }, { kind: 'lovasz', weight: 1 }], undefined],
    [[{ kind: 'bce', weight: 0 }], 'stage1.loss: every weight is 0; at least one must be positive'],
    [[{ kind: 'bce', weight: 1, perImage: true }], 'stage1.loss.0.perImage: only applies to kind "lovasz", not "bce"'],
    [[{ kind: 'focal', weight: 1 }], 'stage1.loss.0.kind'],
  ])('%j', (loss, error) => {
    const parse = () => parseConfig({ stage1: { epochs: 1, lr: 0.1, loss } });
    if (error === undefined) expect(parse().stage1.loss).toEqual(loss);
    else expect(parse).toThrow(error);
  });
});

describe('data.layout', () => {
  it("defaults to 'auto' and takes a built-in name", () => {
    expect(parseConfig({}).data.layout).toBe('auto');
    expect(parseConfig({ data: { layout: 'siim' } }).data.layout).toBe('siim');
  });

  it('names an unknown layout and the bad field of a descriptor', () => {
    expect(() => parseConfig({ data: { layout: 'kvasir' } })).toThrow('data.layout: "kvasir" is not a layout (auto, tgs, airbus, carvana, siim, folders, or a descriptor object)');
    const descriptor = { name: 'mine', train: { images: { dir: 'i', files: ['{stem}.png'] }, masks: { files: { dir: 'm', files: ['{stem}.png'] } } }, test: { images: { dir: 't', files: ['{stem}.png'] } }, submission: { header: ['id', 'rle'], idColumn: 'id', rleColumn: 'rle', rle: { order: 'row-major', starts: 'from-end', empty: '' } }, metric: 'dice' };
    expect(() => parseConfig({ data: { layout: descriptor } })).toThrow(/data\.layout\.submission\.rle\.starts: /);
    descriptor.submission.rle.starts = 'absolute';
    expect(parseConfig({ data: { layout: descriptor } }).data.layout).toMatchObject({ name: 'mine' });
  });
});

describe('a blend is checked from its members\' configs, before any work', () => {
  /** A folder of configs by name; the blend's members resolve in it. */
  function configs(files: Record<string, unknown>): { path: (name: string) => string; resolve: (name: string) => string | undefined } {
    const dir = mkdtempSync(join(tmpdir(), 'blend-'));
    // Members extend the smoke preset (a whole config); blends are written as given.
    for (const [name, raw] of Object.entries(files)) writeFileSync(join(dir, `${name}.json`), JSON.stringify('blend' in (raw as object) ? raw : { extends: 'smoke', ...(raw as object) }));
    const path = (name: string) => join(dir, `${name}.json`);
    return { path, resolve: (name) => (name in files ? path(name) : undefined) };
  }

  it('accepts members on one fold split and returns their config files', () => {
    const c = configs({ a: { folds: { k: 3 } }, b: { folds: { k: 3 }, stage1: { epochs: 4 } }, mix: { blend: { members: ['a', 'b'], weights: [1, 2] } } });
    const blend = checkBlendConfig(c.path('mix'), c.resolve);
    expect(blend).toMatchObject({ name: 'mix', blend: { members: ['a', 'b'], weights: [1, 2] }, memberPaths: [c.path('a'), c.path('b')] });
  });

  it('refuses a missing member, naming the blend file and the member', () => {
    const c = configs({ a: {}, mix: { blend: { members: ['a', 'gone'] } } });
    expect(() => checkBlendConfig(c.path('mix'), c.resolve)).toThrow(
      new UserError(`${c.path('mix')}: blend member "gone" is neither a preset in configs/ nor an experiment in experiments/`),
    );
  });

  it('refuses a weights list of another length than the members', () => {
    const c = configs({ a: {}, b: {}, mix: { blend: { members: ['a', 'b'], weights: [1] } } });
    expect(() => checkBlendConfig(c.path('mix'), c.resolve)).toThrow(new UserError(`${c.path('mix')}: blend.weights needs one weight per member (2), not all zero, or "tune"`));
  });

  it.each([
    [{ folds: { k: 3 } }, 'folds'],
    [{ folds: { seed: 7 } }, 'folds'],
    [{ synthetic: { seed: 1 } }, 'synthetic'],
    [{ data: { layout: 'carvana' } }, 'data'],
  ])('refuses members on different fold splits (%j differs in %s)', (other, section) => {
    const c = configs({ a: {}, b: other, mix: { blend: { members: ['a', 'b'] } } });
    expect(() => checkBlendConfig(c.path('mix'), c.resolve)).toThrow(`${c.path('mix')}: blend members "a" and "b" use different fold splits (${section}: `);
  });

  it('refuses a member of input.mode "resize" (its logits are at the model\'s size, not the images\')', () => {
    const c = configs({ a: {}, small: { input: { mode: 'resize', size: 64 } }, mix: { blend: { members: ['a', 'small'] } } });
    expect(() => checkBlendConfig(c.path('mix'), c.resolve)).toThrow(`${c.path('mix')}: blend member "small" uses input.mode "resize"`);
  });

  it('names the member whose config is broken, and refuses a blend as a member (no endless loop)', () => {
    const c = configs({ a: {}, bad: { folds: { k: 1 } }, mix: { blend: { members: ['a', 'bad'] } }, nest: { blend: { members: ['a', 'nest'] } } });
    expect(() => checkBlendConfig(c.path('mix'), c.resolve)).toThrow(`${c.path('mix')}: blend member "bad": ${c.path('bad')}: invalid config: folds.k`);
    expect(() => checkBlendConfig(c.path('nest'), c.resolve)).toThrow(`${c.path('nest')}: blend member "nest" is a blend, not an experiment`);
  });
});
