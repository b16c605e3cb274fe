export { confidentShare, selectConfident, selectConfidentFromNpy, CONFIDENT_BELOW, CONFIDENT_ABOVE } from './select';
export type { PseudoSelection } from './select';
export { pseudoPaths, writePseudoLabels, readPseudoLabels, readPseudoRecord, pseudoFingerprint, pseudoRecordSchema } from './artifacts';
export type { PseudoLabels, PseudoRecord } from './artifacts';
export { withPseudoLabels } from './train-set';
