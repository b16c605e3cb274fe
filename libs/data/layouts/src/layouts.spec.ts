import { decodeRleAs, encodeRleAs, type RleFlavour } from '@segkit/rle';
import {
  fillTemplate,
  idOfStem,
  LAYOUT_NAMES,
  layoutByName,
  LAYOUTS,
  METRIC_NAMES,
  parseLayout,
  stemOf,
  stemOfId,
  templateRegExp,
  type LayoutDescriptorInput,
} from './index';

describe('the built-in table', () => {
  it('holds the five layouts, TGS first', () => {
    expect(LAYOUT_NAMES).toEqual(['tgs', 'airbus', 'carvana', 'siim', 'folders']);
  });

  // The competitions' data pages, as a competitor would check them.
  it.each([
    ['tgs', 'train.csv', ['id', 'rle_mask'], 'column-major', 'absolute', '', 'one', 'tgs-map'],
    ['airbus', 'train_ship_segmentations_v2.csv', ['ImageId', 'EncodedPixels'], 'column-major', 'absolute', '', 'many', 'f2-objects'],
    ['carvana', 'train_masks.csv', ['img', 'rle_mask'], 'row-major', 'absolute', '', 'one', 'dice'],
    ['siim', 'train-rle.csv', ['ImageId', ' EncodedPixels'], 'column-major', 'relative', '-1', 'many', 'dice'],
  ])('%s: %s with header %j, %s %s RLE, empty %j, %s row(s) per image, metric %s', (name, file, header, order, starts, empty, rows, metric) => {
    const l = layoutByName(name);
    expect(l.train.masks.csv).toMatchObject({ file, header, rle: { order, starts, empty }, rowsPerImage: rows });
    expect(l.metric).toBe(metric);
  });

  it('spells ids the way each competition does', () => {
    expect(idOfStem(LAYOUTS.tgs.train.images, '000e218f21')).toBe('000e218f21');
    expect(idOfStem(LAYOUTS.airbus.train.images, '00003e153')).toBe('00003e153.jpg');
    expect(idOfStem(LAYOUTS.carvana.test.images, '0004d4463b50_01')).toBe('0004d4463b50_01.jpg');
    expect(fillTemplate(LAYOUTS.carvana.train.masks.files!.files[0], '00087a6bd4dc_01')).toBe('00087a6bd4dc_01_mask.gif');
    expect(LAYOUTS.siim.train.images).toMatchObject({ dir: 'dicom-images-train', files: ['{stem}.dcm'], recursive: true, id: '{stem}' });
  });

  it('one submission row per ship for Airbus, one per image elsewhere', () => {
    expect(LAYOUT_NAMES.map((n) => LAYOUTS[n].submission.rowsPerImage)).toEqual(['one', 'many', 'one', 'one', 'one']);
  });

  it('only TGS has depths; the folder pair has no sample submission', () => {
    expect(LAYOUT_NAMES.filter((n) => LAYOUTS[n].extras.depths)).toEqual(['tgs']);
    expect(LAYOUT_NAMES.filter((n) => !LAYOUTS[n].sampleSubmission)).toEqual(['folders']);
  });

  it('names only metrics of the registry list', () => {
    for (const n of LAYOUT_NAMES) expect(METRIC_NAMES).toContain(LAYOUTS[n].metric);
  });

  it("groups Carvana's 16 views of a car by the car", () => {
    const re = new RegExp(LAYOUTS.carvana.groupBy!);
    expect(re.exec('00087a6bd4dc_01.jpg')?.[1]).toBe('00087a6bd4dc');
    expect(re.exec('00087a6bd4dc_16.jpg')?.[1]).toBe('00087a6bd4dc');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(LAYOUTS)).toBe(true);
    expect(Object.isFrozen(LAYOUTS.tgs)).toBe(true);
    expect(Object.isFrozen(LAYOUTS.siim.train.masks.csv!.rle)).toBe(true);
  });

  it("flavours are the RLE library's flavours: SIIM's sample row decodes to the runs its data page describes", () => {
    const siim: RleFlavour = LAYOUTS.siim.train.masks.csv!.rle;
    // 4x4, column-major, relative: skip 5 pixels, paint 2 (pixels 6, 7), skip 2, paint 1 (pixel 10).
    const mask = decodeRleAs(' 5 2 2 1', 4, 4, siim);
    const painted = [...mask.keys()].filter((i) => mask[i]).map((i) => (i % 4) * 4 + Math.floor(i / 4) + 1);
    expect(painted.sort((a, b) => a - b)).toEqual([6, 7, 10]);
    expect(encodeRleAs(mask, 4, 4, siim)).toBe('5 2 2 1');
  });
});

describe('layoutByName and parseLayout', () => {
  it('refuses an unknown name and lists the known ones', () => {
    expect(() => layoutByName('kvasir')).toThrow('unknown data layout "kvasir" (known: tgs, airbus, carvana, siim, folders)');
    expect(() => layoutByName('toString')).toThrow(/unknown data layout/);
  });

  it('takes a name or a full descriptor', () => {
    expect(parseLayout('carvana')).toBe(LAYOUTS.carvana);
    const own: LayoutDescriptorInput = {
      name: 'kvasir',
      train: { images: { dir: 'images', files: ['{stem}.jpg'] }, masks: { files: { dir: 'masks', files: ['{stem}.jpg'] } } },
      test: { images: { dir: 'test', files: ['{stem}.jpg'] } },
      submission: { header: ['id', 'rle'], idColumn: 'id', rleColumn: 'rle', rle: { order: 'row-major', starts: 'absolute', empty: '' } },
      metric: 'dice',
    };
    const parsed = parseLayout(own);
    expect(parsed).toMatchObject({ name: 'kvasir', channels: 1, extras: {}, submission: { rowsPerImage: 'one' } });
    expect(parsed.train.images).toEqual({ dir: 'images', files: ['{stem}.jpg'], id: '{stem}', recursive: false });
  });

  const base = (): LayoutDescriptorInput => JSON.parse(JSON.stringify(LAYOUTS.siim)) as LayoutDescriptorInput;
  it.each<[string, (l: Record<string, any>) => void, string]>([
    ['a bad RLE order', (l) => (l.train.masks.csv.rle.order = 'diagonal'), 'data.layout.train.masks.csv.rle.order: '],
    ['an id column not in the header', (l) => (l.train.masks.csv.idColumn = 'ImageID'), 'data.layout.train.masks.csv.idColumn: "ImageID" is not a column'],
    ['a template without {stem}', (l) => (l.test.images.files = ['image.dcm']), 'data.layout.test.images.files.0: must contain {stem} exactly once'],
    ['a path leaving the folder', (l) => (l.train.images.dir = '../elsewhere'), 'data.layout.train.images.dir: must be a /-separated path inside'],
    ['no masks at all', (l) => (l.train.masks = {}), 'data.layout.train.masks: needs files or csv'],
    ['an unknown metric', (l) => (l.metric = 'iou'), 'data.layout.metric: '],
    ['a digit empty marker', (l) => (l.submission.rle.empty = '0'), 'data.layout.submission.rle.empty: an empty marker made of digits'],
    ['a bad group pattern', (l) => (l.groupBy = '(['), 'data.layout.groupBy: is not a valid regular expression'],
    ['an unknown key', (l) => (l.train.imagez = {}), 'data.layout.train: Unrecognized key'],
    ['a repeated column', (l) => (l.submission.header = ['ImageId', 'ImageId', 'EncodedPixels']), 'data.layout.submission.header: has a repeated column'],
  ])('names the field of %s', (_name, edit, message) => {
    const l = base() as Record<string, any>;
    edit(l);
    expect(() => parseLayout(l)).toThrow(message);
  });
});

describe('file name templates', () => {
  it.each([
    ['{stem}.png', 'a.png', 'a'],
    ['{stem}.png', 'a.PNG', undefined],
    ['{stem}_mask.gif', '0cdf5b5d0ce1_01_mask.gif', '0cdf5b5d0ce1_01'],
    ['{stem}_mask.gif', '0cdf5b5d0ce1_01.gif', undefined],
    ['{stem}.jpg', 'x.y.jpg', 'x.y'],
    ['{stem}.jpg', '.jpg', undefined],
    ['img-{stem}+(1).tif', 'img-7+(1).tif', '7'],
  ])('%s matches %s with stem %s', (template, file, stem) => {
    expect(stemOf(template, file)).toBe(stem);
  });

  it('matches case-insensitively on request (to name a wrong-case file)', () => {
    expect(templateRegExp('{stem}.png', 'i').exec('a.PNG')?.[1]).toBe('a');
  });

  it('maps ids back to stems', () => {
    expect(stemOfId(LAYOUTS.airbus.train.images, '00003e153.jpg')).toBe('00003e153');
    expect(stemOfId(LAYOUTS.airbus.train.images, '00003e153')).toBeUndefined();
    expect(stemOfId(LAYOUTS.tgs.train.images, '000e218f21')).toBe('000e218f21');
  });
});
