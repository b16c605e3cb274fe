import { KAGGLE_RLE } from '@segkit/rle';
import { truthObjectsFromRows } from './objects';
import { tuneThreshold } from './tune';

describe('truthObjectsFromRows', () => {
  it('labels each row of each image (by hand)', () => {
    // 2×2 images, column-major: pixels 1, 2 are the left column, 3, 4 the right one.
    // Image 0: two touching ships, the left and the right column; image 1: none; image 2: one pixel.
    const labels = truthObjectsFromRows([['1 2', '3 2'], [], ['4 1']], 2, 2, KAGGLE_RLE);
    // row-major labels: image 0 [[1, 2], [1, 2]]; image 2: (row 1, column 1) → index 3
    expect(Array.from(labels)).toEqual([1, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('keeps touching ships apart when tuning on f2-objects', () => {
    // One 2×2 image with the two ships above, predicted as one blob: IoU 1/2 with each ship, no hit.
    const truths = Uint8Array.from([1, 1, 1, 1]);
    const logits = Float32Array.from([3, 3, 3, 3]);
    const options = { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0] };
    const asRows = tuneThreshold(logits, truths, 4, options, { metric: 'f2-objects', width: 2, truthObjects: truthObjectsFromRows([['1 2', '3 2']], 2, 2, KAGGLE_RLE) });
    const asMask = tuneThreshold(logits, truths, 4, options, { metric: 'f2-objects', width: 2 });
    expect([asRows.score, asMask.score]).toEqual([0, 1]);
  });
});
