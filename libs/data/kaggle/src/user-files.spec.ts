/**
 * The files a Kaggle user's folder really holds after a browser download, a Mac or Windows
 * explorer, or Excel: each is handled or rejected by a one-line error naming the file.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { greyAsRgb, tempDir, userError, writePng, writeText } from './fixtures.testing';
import { checkImageSizes, loadTestSet, loadTrainSet, readSampleSubmissionIds } from './index';
import { pngSize } from './sizes';

const H = 3;
const W = 4;
const image = (seed: number) => greyAsRgb(Array.from({ length: H * W }, (_, i) => (seed * 29 + i * 7) % 256));

let dir: string;
let cleanup: () => void;
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('segkit-user-files'));
  for (const [k, id] of ['a', 'b'].entries()) {
    await writePng(join(dir, 'train', 'images', `${id}.png`), 'rgb8', H, W, image(k));
    await writePng(join(dir, 'train', 'masks', `${id}.png`), 'grey16', H, W, new Array(H * W).fill(k * 65535));
  }
  for (const [k, id] of ['x', 'y'].entries()) await writePng(join(dir, 'test', 'images', `${id}.png`), 'rgb8', H, W, image(10 + k));
  writeText(join(dir, 'sample_submission.csv'), 'id,rle_mask\ny,1 1\nx,1 1\n');
});
afterEach(() => cleanup());

describe('files from explorers and browsers', () => {
  it('ignores .DS_Store, Thumbs.db, desktop.ini and macOS ._ files', async () => {
    for (const sub of ['train/images', 'train/masks', 'test/images']) {
      for (const junk of ['.DS_Store', 'Thumbs.db', 'desktop.ini', '._a.png']) writeFileSync(join(dir, sub, junk), 'junk');
    }
    expect((await loadTrainSet(dir)).ids).toEqual(['a', 'b']);
    expect((await loadTestSet(dir)).ids).toEqual(['y', 'x']);
  });

  it('follows symlinked images and a symlinked folder', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    renameSync(join(dir, 'train', 'images', 'b.png'), join(elsewhere, 'b.png'));
    symlinkSync(join(elsewhere, 'b.png'), join(dir, 'train', 'images', 'b.png'));
    renameSync(join(dir, 'test', 'images'), join(elsewhere, 'test-images'));
    symlinkSync(join(elsewhere, 'test-images'), join(dir, 'test', 'images'));
    const train = await loadTrainSet(dir);
    expect(Array.from(train.images.subarray(H * W, 2 * H * W))).toEqual(image(1).filter((_, i) => i % 3 === 0));
    expect((await loadTestSet(dir)).ids).toEqual(['y', 'x']);
  });

  it('a broken symlink is an error naming it', async () => {
    symlinkSync(join(dir, 'nowhere.png'), join(dir, 'train', 'images', 'c.png'));
    await writePng(join(dir, 'train', 'masks', 'c.png'), 'grey16', H, W, new Array(H * W).fill(0));
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'train', 'images', 'c.png')}: cannot read (ENOENT)`);
  });

  it.each([['train/images'], ['test/images']])('an upper-case .PNG in %s is an error naming it', async (sub) => {
    renameSync(join(dir, sub, sub.startsWith('train') ? 'b.png' : 'x.png'), join(dir, sub, sub.startsWith('train') ? 'b.PNG' : 'x.PNG'));
    const name = join(dir, sub, sub.startsWith('train') ? 'b.PNG' : 'x.PNG');
    const load = sub.startsWith('train') ? () => loadTrainSet(dir) : () => loadTestSet(dir);
    expect(await userError(load)).toBe(`${name}: the extension must be lower-case .png (rename it to ${name.slice(dir.length + sub.length + 2, -4)}.png)`);
  });

  it.each([['train/images'], ['train/masks'], ['test/images']])('a browser duplicate "ID (1).png" in %s is an error naming it', async (sub) => {
    const id = sub.startsWith('train') ? 'a' : 'x';
    await writePng(join(dir, sub, `${id} (1).png`), sub === 'train/masks' ? 'grey16' : 'rgb8', H, W, sub === 'train/masks' ? new Array(H * W).fill(0) : image(5));
    const load = sub.startsWith('train') ? () => loadTrainSet(dir) : () => loadTestSet(dir);
    expect(await userError(load)).toBe(`${join(dir, sub, `${id} (1).png`)} looks like a second download of ${id}.png: delete it (or rename it if it is a different image)`);
  });

  it('an id that merely ends in "(1)" without a twin is an ordinary id', async () => {
    renameSync(join(dir, 'train', 'images', 'b.png'), join(dir, 'train', 'images', 'b (1).png'));
    renameSync(join(dir, 'train', 'masks', 'b.png'), join(dir, 'train', 'masks', 'b (1).png'));
    expect((await loadTrainSet(dir)).ids).toEqual(['a', 'b (1)']);
  });
});

describe('CSV files saved from Excel', () => {
  it('reads train.csv, depths.csv and sample_submission.csv with a UTF-8 BOM and CRLF line endings', async () => {
    writeText(join(dir, 'train.csv'), '\uFEFFid,rle_mask\r\na,1 12\r\nb,\r\n');
    writeText(join(dir, 'depths.csv'), '\uFEFFid,z\r\na,10\r\nb,20\r\nx,30\r\ny,40\r\n');
    writeText(join(dir, 'sample_submission.csv'), '\uFEFFid,rle_mask\r\ny,1 1\r\nx,1 1\r\n');
    // The PNG masks disagree with the CSV unless the CRLF and BOM are stripped: a = all ones, b = empty.
    await writePng(join(dir, 'train', 'masks', 'a.png'), 'grey16', H, W, new Array(H * W).fill(65535));
    await writePng(join(dir, 'train', 'masks', 'b.png'), 'grey16', H, W, new Array(H * W).fill(0));
    const train = await loadTrainSet(dir);
    expect(train.ids).toEqual(['a', 'b']);
    expect(Array.from(train.depths)).toEqual([10, 20]);
    const ids = readSampleSubmissionIds(dir);
    expect(ids).toEqual(['y', 'x']);
    expect(ids[0].charCodeAt(0)).toBe('y'.charCodeAt(0)); // no BOM glued to the first id
    expect((await loadTestSet(dir)).ids).toEqual(['y', 'x']);
  });
});

describe('checkImageSizes (preflight, PNG headers only)', () => {
  it('reads the size from the IHDR chunk', () => {
    expect(pngSize(join(dir, 'train', 'images', 'a.png'))).toEqual({ height: H, width: W });
    writeFileSync(join(dir, 'not.png'), 'not a png');
    expect(pngSize(join(dir, 'not.png'))).toBeUndefined();
  });

  it('passes a consistent folder and returns its size', () => {
    expect(checkImageSizes(dir)).toEqual({ height: H, width: W });
  });

  it('test images of another size: one line with both sizes and one file of each', async () => {
    for (const id of ['x', 'y']) await writePng(join(dir, 'test', 'images', `${id}.png`), 'rgb8', 5, 6, greyAsRgb(new Array(30).fill(3)));
    expect(await userError(() => checkImageSizes(dir))).toBe(
      `test images are 5x6 (HxW, e.g. ${join(dir, 'test', 'images', 'x.png')}) but train images are 3x4 (e.g. ${join(dir, 'train', 'images', 'a.png')}): ` +
        'the models are trained and applied at one size, so resize the test images or use a matching test set',
    );
  });

  it('names the one odd train image even when it comes first', async () => {
    await writePng(join(dir, 'train', 'images', 'c.png'), 'rgb8', H, W, image(3));
    await writePng(join(dir, 'train', 'images', '0.png'), 'rgb8', 5, 5, greyAsRgb(new Array(25).fill(1)));
    expect(await userError(() => checkImageSizes(dir))).toBe(
      `${join(dir, 'train', 'images', '0.png')} is 5x5 (HxW) but the other images are 3x4 (e.g. ${join(dir, 'train', 'images', 'a.png')}): all images must have the same size`,
    );
  });

  it('names an odd mask against the images, not against the other masks', async () => {
    await writePng(join(dir, 'train', 'masks', 'b.png'), 'grey16', 4, 4, new Array(16).fill(0));
    expect(await userError(() => checkImageSizes(dir))).toContain(`${join(dir, 'train', 'masks', 'b.png')} is 4x4 (HxW) but the other images are 3x4`);
  });

  it('names the one odd test image', async () => {
    await writePng(join(dir, 'test', 'images', 'z.png'), 'rgb8', 3, 3, greyAsRgb(new Array(9).fill(1)));
    expect(await userError(() => checkImageSizes(dir))).toContain(`${join(dir, 'test', 'images', 'z.png')} is 3x3 (HxW) but the other images are 3x4`);
  });
});
