import { UserError } from '@segkit/io';
import { defaultPadTo, defaultUnetConfig, padAmounts, resolveUnetConfig, UNET_ENCODERS } from './config';
import { UNET_DEFAULTS, UNET_ENCODER_CHOICES } from './defaults';

describe('defaultPadTo', () => {
  // Smallest multiple of max(32, 2^depth) that is >= max(h, w), worked out by hand.
  it.each([
    [101, 101, 4, 128],
    [128, 128, 4, 128],
    [129, 50, 4, 160],
    [101, 101, 6, 128],
    [101, 101, 7, 128],
    [130, 20, 7, 256],
    [20, 10, 2, 32],
    [37, 50, 3, 64],
  ])('%i×%i depth %i → %i', (h, w, depth, expected) => {
    expect(defaultPadTo(h, w, depth)).toBe(expected);
  });
});

describe('padAmounts', () => {
  it.each([
    [101, 128, [13, 14]],
    [128, 128, [0, 0]],
    [24, 32, [4, 4]],
    [7, 32, [12, 13]],
    [50, 64, [7, 7]],
  ])('%i → %i pads %j', (size, padTo, expected) => {
    expect(padAmounts(size, padTo)).toEqual(expected);
  });
});

describe('resolveUnetConfig', () => {
  it('fills the lean defaults for TGS (101 → 128, depth 4, 16 filters)', () => {
    const cfg = resolveUnetConfig({ inputHeight: 101, inputWidth: 101, seed: 3 });
    expect(cfg).toEqual({
      inputHeight: 101,
      inputWidth: 101,
      depth: 4,
      baseFilters: 16,
      block: 'plain',
      batchNorm: true,
      dropout: 0,
      scse: false,
      hypercolumn: false,
      padTo: 128,
      upsample: 'transpose',
      seed: 3,
    });
    expect(defaultUnetConfig(101, 101).padTo).toBe(128);
  });

  it('derives padTo from a non-default depth', () => {
    expect(resolveUnetConfig({ inputHeight: 101, inputWidth: 101, depth: 7 }).padTo).toBe(128);
    expect(resolveUnetConfig({ inputHeight: 130, inputWidth: 101, depth: 7 }).padTo).toBe(256);
  });

  it.each([
    [{ padTo: 120 }, /padTo 120 must be a multiple of 2\^depth = 16/],
    [{ padTo: 96 }, /padTo 96 is smaller than the input 101×101/],
    [{ dropout: 1 }, /dropout must be in \[0, 1\)/],
    [{ depth: 0 }, /depth must be a positive integer/],
    [{ baseFilters: 2.5 }, /baseFilters must be a positive integer/],
    [{ block: 'dense' as 'plain' }, /block must be 'plain' or 'residual'/],
    [{ upsample: 'nearest' as 'bilinear' }, /upsample must be 'transpose' or 'bilinear'/],
    [{ inputHeight: 0 }, /inputHeight must be a positive integer/],
  ])('rejects %j with a UserError naming the field', (patch, message) => {
    const run = () => resolveUnetConfig({ inputHeight: 101, inputWidth: 101, ...patch });
    expect(run).toThrow(UserError);
    expect(run).toThrow(message);
  });
});

describe('defaultUnetConfig', () => {
  it('is the defaults table (which the config schema also reads) with the derived padTo', () => {
    // The values themselves are pinned by hand in resolveUnetConfig's first test above.
    const { encoder, ...architecture } = UNET_DEFAULTS;
    expect(encoder).toBe('plain');
    expect(defaultUnetConfig(101, 101)).toEqual({ inputHeight: 101, inputWidth: 101, ...architecture, padTo: 128 });
  });

  it("offers the encoders the config schema offers", () => {
    expect([...UNET_ENCODERS]).toEqual([...UNET_ENCODER_CHOICES]);
  });
});
