import { describeInput, modelSize, resolveCrop, resolveInput } from './input';

describe('input settings', () => {
  it('resolve the crop alone without the data size: undefined in pad and resize modes, also resize by a scale', () => {
    expect(resolveCrop({ mode: 'pad' })).toBeUndefined();
    expect(resolveCrop({ mode: 'resize', scale: 2 })).toBeUndefined();
    expect(resolveCrop({ mode: 'resize', size: 64 })).toBeUndefined();
    // Overlap by hand: ⌊min(48, 64) / 4⌋ = 12.
    expect(resolveCrop({ mode: 'crop', size: [48, 64] })).toEqual({ mode: 'crop', height: 48, width: 64, overlap: 12, bias: 0.5 });
  });

  it('resolve a side or [height, width]', () => {
    expect(resolveInput({ mode: 'pad' })).toEqual({ mode: 'pad' });
    expect(resolveInput({ mode: 'resize', size: 64 })).toEqual({ mode: 'resize', height: 64, width: 64 });
    expect(resolveInput({ mode: 'resize', size: [80, 120] })).toEqual({ mode: 'resize', height: 80, width: 120 });
    expect(() => resolveInput({ mode: 'resize' })).toThrow('needs input.size');
    // crop: overlap defaults to floor(min side / 4) (64×48 → 12), the bias to 0.5.
    expect(resolveInput({ mode: 'crop', size: [64, 48] })).toEqual({ mode: 'crop', height: 64, width: 48, overlap: 12, bias: 0.5 });
    expect(resolveInput({ mode: 'crop', size: 64, overlap: 8, cropBias: 0.9 })).toEqual({ mode: 'crop', height: 64, width: 64, overlap: 8, bias: 0.9 });
    expect(() => resolveInput({ mode: 'crop' })).toThrow('input.mode "crop" needs input.size');
    // a factor of the data's own size: TGS 101 × 2 → 202, 101 × 1.5 → 151.5 rounded to 152
    expect(resolveInput({ mode: 'resize', scale: 2 }, { height: 101, width: 101 })).toEqual({ mode: 'resize', height: 202, width: 202 });
    expect(resolveInput({ mode: 'resize', scale: 1.5 }, { height: 101, width: 80 })).toEqual({ mode: 'resize', height: 152, width: 120 });
    expect(() => resolveInput({ mode: 'resize', scale: 2 })).toThrow('input.scale needs the size the images share');
  });

  it('give the model size of an image', () => {
    expect(modelSize({ mode: 'pad' }, 101, 101)).toEqual({ height: 101, width: 101 });
    expect(modelSize({ mode: 'resize', height: 64, width: 96 }, 1280, 1918)).toEqual({ height: 64, width: 96 });
    expect(modelSize({ mode: 'crop', height: 64, width: 64, overlap: 16, bias: 0.5 }, 128, 128)).toEqual({ height: 64, width: 64 });
    expect(describeInput({ mode: 'resize', height: 64, width: 96 })).toBe('resized to 64×96');
  });
});
