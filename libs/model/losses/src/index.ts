export { bceWithLogits } from './bce';
export { softDice } from './dice';
export type { SoftDiceOptions } from './dice';
export { lovaszHinge, lovaszGradWeights } from './lovasz';
export type { LovaszOptions } from './lovasz';
export { makeLoss } from './make-loss';
export type { LossFn, LossTerm } from './make-loss';
export { permute, descendingOrder, inversePermutation } from './permute';
