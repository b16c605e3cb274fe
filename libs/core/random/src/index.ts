export { Rng, hash32, mixSeed, permutation } from './rng';
