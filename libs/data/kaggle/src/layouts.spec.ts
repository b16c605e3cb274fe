import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { LAYOUTS, parseLayout } from '@segkit/layouts';
import { encodeDicom } from '@segkit/synthetic';
import { tempDir, userError, writePng, writeText } from './fixtures.testing';
import { checkImageSizes, checkLayout, decodeImage, detectLayout, imageSize, loadTestSet, loadTrainSet, readDepths, readTestIds } from './index';

// 3 rows x 4 columns: a transposed or row/column-swapped read cannot pass.
const H = 3;
const W = 4;

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('layouts'));
});
afterEach(() => cleanup());

function rgbImage(seed: number): Uint8Array {
  return Uint8Array.from({ length: H * W * 3 }, (_, i) => (seed * 53 + i * 7) % 256);
}

async function writeJpeg(file: string, seed: number): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await sharp(rgbImage(seed), { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toFile(file);
}

async function writeGifMask(file: string, mask: number[]): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const rgb = Uint8Array.from(mask.flatMap((v) => [v * 255, v * 255, v * 255]));
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).gif().toFile(file);
}

function writeDicom(file: string, pixels: Uint8Array | Uint16Array, uid: string, extra: { transferSyntax?: string; bitsStored?: number; photometric?: 'MONOCHROME1' } = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, encodeDicom({ height: H, width: W, pixels, sopInstanceUid: uid, studyUid: `${uid}.1`, seriesUid: `${uid}.2`, ...extra }));
}

// Masks (row-major, 3x4) and their RLE in each flavour, worked out by hand.
// Column-major pixel number = x*3 + y + 1; row-major = y*4 + x + 1.
//   ship1: (0,1) (1,1) -> column-major 4,5 -> "4 2"
//   ship2: (2,3)       -> column-major 12 -> "12 1"
const SHIP1 = [0, 1, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 0, 0];
const SHIP2 = [0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 1];
const union = (a: number[], b: number[]) => a.map((v, i) => v | b[i]);

describe('Airbus: JPEGs with .jpg ids, one row per ship', () => {
  beforeEach(async () => {
    await writeJpeg(join(dir, 'train_v2', 'b1.jpg'), 1);
    await writeJpeg(join(dir, 'train_v2', 'a0.jpg'), 2);
    await writeJpeg(join(dir, 'test_v2', 't1.jpg'), 3);
    await writeJpeg(join(dir, 'test_v2', 't0.jpg'), 4);
    writeText(join(dir, 'train_ship_segmentations_v2.csv'), 'ImageId,EncodedPixels\na0.jpg,4 2\nb1.jpg,\na0.jpg,12 1\n');
    writeText(join(dir, 'sample_submission_v2.csv'), 'ImageId,EncodedPixels\nt1.jpg,1 2\nt0.jpg,1 2\n');
  });

  it('is recognised and loaded: ids keep .jpg, ships are united and kept apart', async () => {
    expect(detectLayout(dir).name).toBe('airbus');
    const train = await loadTrainSet(dir);
    expect(train.ids).toEqual(['a0.jpg', 'b1.jpg']);
    expect(Array.from(train.masks)).toEqual([...union(SHIP1, SHIP2), ...new Array(H * W).fill(0)]);
    expect(train.objects).toEqual([['4 2', '12 1'], []]);
    expect(train.images).toHaveLength(2 * H * W);
    expect(Array.from(train.depths).every(Number.isNaN)).toBe(true);
    const test = await loadTestSet(dir);
    expect(test.ids).toEqual(['t1.jpg', 't0.jpg']);
  });

  it('reads RGB when asked for 3 channels (JPEG at quality 100 is within a few levels)', async () => {
    const train = await loadTrainSet(dir, { channels: 3 });
    expect(train.channels).toBe(3);
    expect(train.images).toHaveLength(2 * H * W * 3);
    const want = rgbImage(2);
    const worst = Math.max(...Array.from(train.images.subarray(0, H * W * 3), (v, i) => Math.abs(v - want[i])));
    expect(worst).toBeLessThanOrEqual(12);
  });

  it('names the line of an id without .jpg, and of a malformed ship', async () => {
    const csv = join(dir, 'train_ship_segmentations_v2.csv');
    writeText(csv, 'ImageId,EncodedPixels\na0,4 2\nb1.jpg,\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${csv} line 2: id "a0" is not spelled like this layout's ids (ID.jpg)`);
    writeText(csv, 'ImageId,EncodedPixels\na0.jpg,4 2\nb1.jpg,13 1\n');
    expect(await userError(() => loadTrainSet(dir))).toMatch(`${csv} line 3 (id b1.jpg): malformed EncodedPixels: token 0: start 13 is past the image`);
  });

  it('an image without any row is an error naming it', async () => {
    await writeJpeg(join(dir, 'train_v2', 'c2.jpg'), 5);
    const csv = join(dir, 'train_ship_segmentations_v2.csv');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'train_v2', 'c2.jpg')} has no mask: no a row in ${csv}`);
  });

  it('checks JPEG sizes from the headers', async () => {
    expect(imageSize(join(dir, 'train_v2', 'a0.jpg'))).toEqual({ height: H, width: W });
    await sharp(rgbImage(1).subarray(0, 2 * W * 3), { raw: { width: W, height: 2, channels: 3 } }).jpeg().toFile(join(dir, 'test_v2', 't2.jpg'));
    expect(() => checkImageSizes(dir)).toThrow(`${join(dir, 'test_v2', 't2.jpg')} is 2x4 (HxW)`);
  });
});

describe('Carvana: GIF masks and a row-major CSV that must agree', () => {
  // Row-major: (0,1)=2, (1,1)=6, (2,3)=12 -> "2 1 6 1 12 1"
  const MASK = union(SHIP1, SHIP2);
  beforeEach(async () => {
    for (const [k, id] of ['car1_01', 'car1_02', 'car2_01'].entries()) {
      await writeJpeg(join(dir, 'train', `${id}.jpg`), k);
      await writeGifMask(join(dir, 'train_masks', `${id}_mask.gif`), k === 0 ? MASK : new Array(H * W).fill(0));
    }
    writeText(join(dir, 'train_masks.csv'), 'img,rle_mask\ncar1_01.jpg,2 1 6 1 12 1\ncar1_02.jpg,\ncar2_01.jpg,\n');
    await writeJpeg(join(dir, 'test', 'car9_01.jpg'), 7);
    writeText(join(dir, 'sample_submission.csv'), 'img,rle_mask\ncar9_01.jpg,1 1\n');
  });

  it('is recognised (not TGS, though it has train/ and test/) and loaded', async () => {
    expect(detectLayout(dir).name).toBe('carvana');
    const train = await loadTrainSet(dir);
    expect(train.ids).toEqual(['car1_01.jpg', 'car1_02.jpg', 'car2_01.jpg']);
    expect(Array.from(train.masks.subarray(0, H * W))).toEqual(MASK);
    expect(train.objects).toBeUndefined();
    expect((await loadTestSet(dir)).ids).toEqual(['car9_01.jpg']);
  });

  it('a CSV read column-major would disagree with the GIF: the row-major flavour is what makes them agree', async () => {
    const columnMajor = parseLayout({ ...JSON.parse(JSON.stringify(LAYOUTS.carvana)), name: 'carvana-wrong' });
    (columnMajor.train.masks.csv as { rle: { order: string } }).rle.order = 'column-major';
    expect(await userError(() => loadTrainSet(dir, { layout: columnMajor }))).toBe(
      `${join(dir, 'train_masks.csv')} line 2 and ${join(dir, 'train_masks', 'car1_01_mask.gif')} disagree for id car1_01.jpg: 4 of 12 pixels differ`,
    );
  });

  it('a mask GIF without its image is named', async () => {
    await writeGifMask(join(dir, 'train_masks', 'car3_01_mask.gif'), new Array(H * W).fill(0));
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'train_masks', 'car3_01_mask.gif')} has no image ${join(dir, 'train', 'car3_01.jpg')}`);
  });
});

describe('SIIM-ACR: nested DICOMs, a header with a leading space, relative RLE, -1, several rows', () => {
  const pixels = (seed: number) => Uint8Array.from({ length: H * W }, (_, i) => (seed * 31 + i * 13) % 256);
  beforeEach(() => {
    writeDicom(join(dir, 'dicom-images-train', '1.2.3.1', '1.2.3.1.1', '1.2.3.100.dcm'), pixels(1), '1.2.3.100');
    writeDicom(join(dir, 'dicom-images-train', '1.2.3.2', '1.2.3.2.1', '1.2.3.200.dcm'), pixels(2), '1.2.3.200');
    writeDicom(join(dir, 'dicom-images-train', '1.2.3.3', '1.2.3.3.1', '1.2.3.300.dcm'), pixels(3), '1.2.3.300');
    writeDicom(join(dir, 'dicom-images-test', '9.1', '9.1.1', '9.100.dcm'), pixels(9), '9.100');
    // 1.2.3.100: two regions, relative column-major: ship1 is pixels 4,5 -> skip 3, paint 2 -> "3 2";
    // ship2 is pixel 12 -> skip 11, paint 1 -> "11 1". 1.2.3.200: empty. 1.2.3.300: no row (left out).
    writeText(join(dir, 'train-rle.csv'), 'ImageId, EncodedPixels\n1.2.3.100, 3 2\n1.2.3.200, -1\n1.2.3.100, 11 1\n');
    writeText(join(dir, 'stage_2_sample_submission.csv'), 'ImageId,EncodedPixels\n9.100,-1\n');
  });

  it('is recognised and loaded, the image without a row left out', async () => {
    expect(detectLayout(dir).name).toBe('siim');
    const train = await loadTrainSet(dir);
    expect(train.ids).toEqual(['1.2.3.100', '1.2.3.200']);
    expect(Array.from(train.images)).toEqual([...pixels(1), ...pixels(2)]);
    expect(Array.from(train.masks)).toEqual([...union(SHIP1, SHIP2), ...new Array(H * W).fill(0)]);
    expect(train.objects).toEqual([['3 2', '11 1'], []]);
    const test = await loadTestSet(dir);
    expect(test.ids).toEqual(['9.100']);
    expect(Array.from(test.images)).toEqual(Array.from(pixels(9)));
  });

  it('a compressed DICOM is an error naming the file and its transfer syntax', async () => {
    const file = join(dir, 'dicom-images-train', '1.2.3.2', '1.2.3.2.1', '1.2.3.200.dcm');
    writeDicom(file, pixels(2), '1.2.3.200', { transferSyntax: '1.2.840.10008.1.2.4.50' });
    expect(await userError(() => loadTrainSet(dir))).toMatch(`${file}: DICOM transfer syntax 1.2.840.10008.1.2.4.50 (JPEG Baseline) is compressed`);
  });

  it('a file that is not DICOM is named', async () => {
    const file = join(dir, 'dicom-images-test', '9.1', '9.1.1', '9.100.dcm');
    writeFileSync(file, 'not a dicom file at all, just some text that is long enough to have a preamble'.repeat(3));
    expect(await userError(() => loadTestSet(dir))).toMatch(`${file}: not a readable DICOM file (`);
  });

  it('the same uid in two series is an error naming both files', async () => {
    writeDicom(join(dir, 'dicom-images-train', '1.2.3.9', '1.2.3.9.1', '1.2.3.100.dcm'), pixels(4), '1.2.3.100');
    expect(await userError(() => loadTrainSet(dir))).toMatch(/1\.2\.3\.9\.1\/1\.2\.3\.100\.dcm and .*1\.2\.3\.1\.1\/1\.2\.3\.100\.dcm have the same id "1\.2\.3\.100"/);
  });

  it('a wrong header names the file (the leading space matters)', async () => {
    writeText(join(dir, 'train-rle.csv'), 'ImageId,EncodedPixels\n1.2.3.100,-1\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'train-rle.csv')} line 1: header must be "ImageId, EncodedPixels", got "ImageId,EncodedPixels"`);
  });
});

describe('DICOM pixel rules', () => {
  const file = () => join(dir, 'x.dcm');
  it.each<[string, number[], number[], { bitsStored?: number; photometric?: 'MONOCHROME1' }]>([
    // 12-bit stored in 16: v << 4, then round(v / 257): 4095 -> 65520 -> 255, 2048 -> 32768 -> 128, 0 -> 0.
    ['12-bit samples scaled to 8 bits', [0, 2048, 4095], [0, 128, 255], { bitsStored: 12 }],
    ['16-bit samples', [0, 257, 65535], [0, 1, 255], {}],
    // MONOCHROME1: 4095 - v before scaling.
    ['MONOCHROME1 inverted', [0, 4095, 2047], [255, 0, 128], { bitsStored: 12, photometric: 'MONOCHROME1' }],
  ])('%s', async (_name, values, want, extra) => {
    const px = new Uint16Array(H * W);
    px.set(values);
    writeDicom(file(), px, '5.5', extra);
    const img = await decodeImage(file(), 1);
    expect(Array.from(img.data.subarray(0, 3))).toEqual(want);
  });

  it('grey DICOM as RGB repeats the channel', async () => {
    writeDicom(file(), Uint8Array.from({ length: H * W }, (_, i) => i), '5.6');
    const img = await decodeImage(file(), 3);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('a folder pair: images/ and masks/, no CSV, no sample submission', () => {
  const grey = (seed: number) => Array.from({ length: H * W }, (_, i) => (seed * 17 + i * 5) % 256);
  beforeEach(async () => {
    await writePng(join(dir, 'images', 'p2.png'), 'grey8', H, W, grey(2));
    await writePng(join(dir, 'images', 'p1.png'), 'grey8', H, W, grey(1));
    await writePng(join(dir, 'masks', 'p1.png'), 'grey8', H, W, SHIP1.map((v) => v * 255));
    await writePng(join(dir, 'masks', 'p2.png'), 'grey8', H, W, SHIP2.map((v) => v * 255));
    await writePng(join(dir, 'test', 'q2.png'), 'grey8', H, W, grey(3));
    await writePng(join(dir, 'test', 'q1.png'), 'grey8', H, W, grey(4));
  });

  it('is recognised; test ids are the sorted test images', async () => {
    expect(detectLayout(dir).name).toBe('folders');
    const train = await loadTrainSet(dir);
    expect(train.ids).toEqual(['p1', 'p2']);
    expect(Array.from(train.images)).toEqual([...grey(1), ...grey(2)]);
    expect(Array.from(train.masks)).toEqual([...SHIP1, ...SHIP2]);
    expect(readTestIds(dir)).toEqual(['q1', 'q2']);
    expect((await loadTestSet(dir)).ids).toEqual(['q1', 'q2']);
    expect(readDepths(dir).size).toBe(0);
  });

  it("channels 'auto': grey images (even one stored as RGB with equal channels) load as their luminance plane", async () => {
    await writePng(join(dir, 'images', 'p2.png'), 'rgb8', H, W, grey(2).flatMap((v) => [v, v, v]));
    const train = await loadTrainSet(dir, { channels: 'auto' });
    expect(train.channels).toBeUndefined();
    expect(Array.from(train.images)).toEqual([...grey(1), ...grey(2)]);
  });

  it("channels 'auto': one colour pixel in one image makes the whole set RGB, the grey images repeated to three channels", async () => {
    const colour = grey(2).flatMap((v) => [v, v, v]);
    colour[3 * 5 + 2] = (colour[3 * 5 + 2] + 1) % 256; // pixel 5's blue differs by one level
    await writePng(join(dir, 'images', 'p2.png'), 'rgb8', H, W, colour);
    const train = await loadTrainSet(dir, { channels: 'auto' });
    expect(train.channels).toBe(3);
    expect(Array.from(train.images)).toEqual([...grey(1).flatMap((v) => [v, v, v]), ...colour]);
    // The test split is read with the channels training settled on, even though its images are grey.
    const test = await loadTestSet(dir, { channels: train.channels });
    expect(test.channels).toBe(3);
    expect(Array.from(test.images.subarray(0, 3))).toEqual([grey(4)[0], grey(4)[0], grey(4)[0]]);
  });

  it('an image without its mask names both paths it looked for', async () => {
    await writePng(join(dir, 'images', 'p3.png'), 'grey8', H, W, grey(5));
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'images', 'p3.png')} has no mask: no ${join(dir, 'masks', 'p3.png')}`);
  });

  it('one id as two formats is an error naming both', async () => {
    await sharp(Uint8Array.from(grey(1)), { raw: { width: W, height: H, channels: 1 } }).jpeg().toFile(join(dir, 'images', 'p1.jpg'));
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'images', 'p1.png')} and ${join(dir, 'images', 'p1.jpg')} have the same id "p1": keep one of them`);
  });

  it('a TIFF image is read through the same decoder', async () => {
    renameSync(join(dir, 'images', 'p2.png'), join(dir, 'p2.png'));
    await sharp(join(dir, 'p2.png')).tiff({ compression: 'lzw' }).toFile(join(dir, 'images', 'p2.tif'));
    expect(Array.from((await loadTrainSet(dir)).images.subarray(H * W))).toEqual(grey(2));
  });
});

describe('detection and a forced layout', () => {
  it('an empty folder matches nothing and says what each layout needs', () => {
    expect(() => detectLayout(dir)).toThrow(`${dir} matches no known layout: expected one of tgs (train/images/ with train/masks/ or train.csv); airbus (train_v2/ with`);
  });

  it('two complete layouts in one folder ask for data.layout', async () => {
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'masks'));
    mkdirSync(join(dir, 'train_v2'));
    writeText(join(dir, 'train_ship_segmentations_v2.csv'), 'ImageId,EncodedPixels\n');
    expect(() => detectLayout(dir)).toThrow(`${dir} looks like several layouts (airbus, folders): choose one with the config key data.layout`);
    expect(checkLayout(dir, 'train', LAYOUTS.folders).name).toBe('folders');
  });

  it('a described layout reads a folder no built-in one knows', async () => {
    const layout = parseLayout({
      name: 'kvasir',
      train: { images: { dir: 'imgs', files: ['{stem}.png'] }, masks: { files: { dir: 'gts', files: ['{stem}_gt.png'] } } },
      test: { images: { dir: 'imgs', files: ['{stem}.png'] } },
      submission: { header: ['id', 'rle'], idColumn: 'id', rleColumn: 'rle', rle: { order: 'row-major', starts: 'absolute', empty: '' } },
      metric: 'dice',
    });
    await writePng(join(dir, 'imgs', 'k1.png'), 'grey8', H, W, new Array(H * W).fill(9));
    await writePng(join(dir, 'gts', 'k1_gt.png'), 'grey8', H, W, SHIP1.map((v) => v * 255));
    expect(() => detectLayout(dir)).toThrow(/matches no known layout/);
    const train = await loadTrainSet(dir, { layout });
    expect(Array.from(train.masks)).toEqual(SHIP1);
  });
});
