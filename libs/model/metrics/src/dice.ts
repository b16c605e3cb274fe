/**
 * The Dice coefficient of one image, the metric of Carvana Image Masking and SIIM-ACR Pneumothorax:
 * the leaderboard score is the mean over images of 2·|A∩B| / (|A| + |B|).
 */

/**
 * Dice of one image from its pixel counts: 2·I / (P + T). Both masks empty (0/0) scores 1, as in
 * SIIM-ACR (where most images are empty and an empty prediction on them is exactly right); an
 * empty truth with a non-empty prediction, or the reverse, scores 0.
 */
export function diceImageScore(intersection: number, predArea: number, truthArea: number): number {
  const total = predArea + truthArea;
  return total === 0 ? 1 : (2 * intersection) / total;
}
