import { describeInput, modelSize, resolveInput } from './input';

describe('input settings', () => {
  it('resolve a side or [height, width]', () => {
    expect(resolveInput({ mode: 'pad' })).toEqual({ mode: 'pad' });
    expect(resolveInput({ mode: 'resize', size: 64 })).toEqual({ mode: 'resize', height: 64, width: 64 });
    expect(resolveInput({ mode: 'resize', size: [80, 120] })).toEqual({ mode: 'resize', height: 80, width: 120 });
    expect(() => resolveInput({ mode: 'resize' })).toThrow('needs input.size');
  });

  it('give the model size of an image', () => {
    expect(modelSize({ mode: 'pad' }, 101, 101)).toEqual({ height: 101, width: 101 });
    expect(modelSize({ mode: 'resize', height: 64, width: 96 }, 1280, 1918)).toEqual({ height: 64, width: 96 });
    expect(describeInput({ mode: 'resize', height: 64, width: 96 })).toBe('resized to 64×96');
  });
});
