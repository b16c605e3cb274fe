import { Progress, formatDuration } from './progress';

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [59.4, '0:59'],
    [61, '1:01'],
    [3725, '1:02:05'],
    [NaN, '?'],
  ])('%p s -> %p', (s, text) => expect(formatDuration(s)).toBe(text));
});

describe('Progress', () => {
  it('prints plain lines with ETA when not a terminal', () => {
    const lines: string[] = [];
    let t = 0;
    const p = new Progress('train', 4, { stream: { isTTY: false, write: (s: string) => lines.push(s) > 0 }, plainIntervalMs: 0, now: () => t });
    t = 1000;
    p.tick(1, 'loss 0.5');
    t = 2000;
    p.tick(3);
    expect(lines[0]).toBe('train 25% 1/4 loss 0.5 elapsed 0:01 eta 0:03\n');
    expect(lines[1]).toBe('train 100% 4/4 elapsed 0:02 eta 0:00\n');
  });
});
