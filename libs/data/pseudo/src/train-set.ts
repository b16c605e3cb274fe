import type { TrainSet } from '@segkit/data';
import type { PseudoLabels } from './artifacts';

/**
 * The train set with pseudo-labels appended after its own images (depth unknown, no separate
 * objects; with resized images, their size the model's; `fullMasks` stays the train images'): the train images keep their indices, so a fold's validation indices still point at
 * them; `pseudoIdx` are the appended images' indices, to add to a fold's training indices only.
 */
export function withPseudoLabels(train: TrainSet, labels: PseudoLabels): { set: TrainSet; pseudoIdx: number[] } {
  const channels = train.channels ?? 1;
  if (labels.height !== train.height || labels.width !== train.width || labels.channels !== channels) {
    throw new Error(`pseudo-labels of ${labels.height}×${labels.width}×${labels.channels} do not match train images of ${train.height}×${train.width}×${channels}`);
  }
  const n = train.ids.length;
  const m = labels.ids.length;
  const images = new Uint8Array(train.images.length + labels.images.length);
  images.set(train.images);
  images.set(labels.images, train.images.length);
  const masks = new Uint8Array(train.masks.length + labels.masks.length);
  masks.set(train.masks);
  masks.set(labels.masks, train.masks.length);
  const depths = new Float32Array(n + m).fill(NaN);
  depths.set(train.depths);
  const set: TrainSet = {
    ...train,
    ids: [...train.ids, ...labels.ids],
    images,
    masks,
    depths,
    ...(train.objects ? { objects: [...train.objects, ...labels.ids.map(() => [])] } : {}),
    // Resized train images keep their own sizes; a pseudo-label is already at the model's size.
    ...(train.sizes ? { sizes: Uint32Array.from([...train.sizes, ...labels.ids.flatMap(() => [labels.height, labels.width])]) } : {}),
  };
  return { set, pseudoIdx: Array.from({ length: m }, (_, i) => n + i) };
}
