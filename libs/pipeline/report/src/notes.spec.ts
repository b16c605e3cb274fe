import { handInput } from '../fixtures/hand-input';
import { consistencyNotes } from './notes';

describe('consistencyNotes', () => {
  it('is empty for a consistent input', () => {
    expect(consistencyNotes(handInput())).toEqual([]);
  });

  it('flags counts that do not add up', () => {
    const input = handInput();
    input.confusion.truthEmptyPredEmpty = 2; // 5 images vs 4 validated
    const notes = consistencyNotes(input);
    expect(notes).toContain('The confusion table counts 5 images but the folds validate 4.');
    expect(notes).toContain('The coverage bins count 4 images but the confusion table counts 5.');
  });

  it('flags a threshold whose logit and probability disagree, or that was not swept', () => {
    const input = handInput();
    input.probThreshold = 0.6;
    const notes = consistencyNotes(input);
    expect(notes.some((n) => n.startsWith('The chosen logit threshold 0 is probability 0.5000'))).toBe(true);
    expect(notes).toContain('The chosen probability threshold 0.6 is not a point of the threshold sweep.');
  });

  it('flags tuning that lowered the score, an unswept min area and non-finite losses', () => {
    const input = handInput();
    input.oofScoreTuned = 0.6;
    input.minArea = 25;
    input.folds[1].history[1].val_loss = Infinity;
    const notes = consistencyNotes(input);
    expect(notes).toContain('The chosen min area 25 is not a point of the min-area sweep.');
    expect(notes.some((n) => n.startsWith('Tuning lowered the OOF mAP (0.625 at logit 0 to 0.6)'))).toBe(true);
    expect(notes).toContain('Fold 1 has 1 epoch(s) with a non-finite loss, first at stage 2 epoch 1.');
  });
});
