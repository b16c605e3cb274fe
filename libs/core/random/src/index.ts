export { Rng, hash32, mixSeed, permutation, uniformSource } from './rng';
