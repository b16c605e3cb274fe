import { renderHtml, renderPictures } from './render';
import { sampleReportInput } from '../fixtures/sample';
import { buildSummary } from './summary';
import { consistencyNotes } from './notes';

describe('sampleReportInput', () => {
  it('is valid and internally consistent', () => {
    const input = sampleReportInput();
    expect(() => buildSummary(input)).not.toThrow();
    expect(consistencyNotes(input)).toEqual([]);
  });

  it('is deterministic per seed', () => {
    expect(buildSummary(sampleReportInput(3))).toEqual(buildSummary(sampleReportInput(3)));
    expect(buildSummary(sampleReportInput(3))).not.toEqual(buildSummary(sampleReportInput(4)));
  });

  it('renders a full-size report (5 folds, 12 worst 101x101 images)', async () => {
    const input = sampleReportInput();
    const html = renderHtml(input, await renderPictures(input));
    expect(html.match(/<svg /g)).toHaveLength(3 + 1 + 2 * 5);
    expect(html.match(/<figure class="worst">/g)).toHaveLength(12);
    // 24 PNGs (plain + overlay) keep the page to a few hundred KB.
    expect(html.length).toBeLessThan(2_000_000);
  });
});
