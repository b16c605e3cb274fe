import * as tf from '@tensorflow/tfjs';
import type { TtaPair } from '@tgs/train';

/** No augmentation. */
export const identityTta: TtaPair = { name: 'identity', augment: (x) => x, deaugment: (y) => y };

/** Horizontal flip along the width axis of [B, H, W, C]; its own inverse. */
export const hflipTta: TtaPair = {
  name: 'hflip',
  augment: (x) => tf.reverse(x, 2),
  deaugment: (y) => tf.reverse(y, 2),
};

/** The TTA set a config asks for: the plain pass, plus the flipped pass when `hflip`. */
export function ttaPairs(hflip: boolean): TtaPair[] {
  return hflip ? [identityTta, hflipTta] : [identityTta];
}
