import { renderHtml, renderPictures } from './render';
import { assertBalanced, coordinates, viewBox } from './svg/svg-check';
import { handInput } from '../fixtures/hand-input';
import type { ReportInput } from './types';

const VOIDS = ['meta', 'img', 'br', 'link', 'input', 'hr'];

async function render(input: ReportInput = handInput()): Promise<string> {
  return renderHtml(input, await renderPictures(input));
}

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('renderHtml', () => {
  let html: string;
  beforeAll(async () => {
    html = await render();
  });

  it.each(['headline', 'folds', 'threshold', 'min-area', 'coverage', 'confusion', 'training', 'worst', 'timings', 'config'])(
    'has the %s section',
    (id) => {
      expect(html).toContain(`<section id="${id}">`);
      expect(html).toContain(`<a href="#${id}">`);
    },
  );

  it('links to the browser demo only when the bundle is beside the report', async () => {
    expect(html).not.toContain('npm run demo');
    const withDemo = await render({ ...handInput(), demoBundle: '../bundle' });
    expect(withDemo).toContain('<code>npm run demo -- --bundle ../bundle</code>');
    expect(withDemo).toContain('<a href="http://127.0.0.1:8080/">');
    assertBalanced(withDemo.replace('<!DOCTYPE html>', ''), VOIDS);
  });

  it('is one balanced document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    assertBalanced(html.replace('<!DOCTYPE html>', ''), VOIDS);
  });

  it('shows the headline numbers formatted', () => {
    expect(html).toContain('<div class="value">0.5000</div>'); // stage 1
    expect(html).toContain('<div class="value">0.6250</div>'); // stage 2
    expect(html).toContain('+0.1250 vs stage 1');
    expect(html).toContain('<div class="value">0.7500</div>'); // tuned
    expect(html).toContain('+0.1250 from threshold + min area'); // 0.75 - 0.625
    expect(html).toContain('<div class="value">0.2500</div>'); // all-empty baseline
    expect(html).toContain('<div class="value">p 0.500</div>');
    expect(html).toContain('logit 0.000');
    expect(html).toContain('<div class="value">10 px</div>');
    expect(html).toContain('Stage 2 (Lovász fine-tuning) helped: +0.1250 OOF mAP at logit 0; better in 1 of 2 folds.');
  });

  it('tabulates folds with a mean ± sd row', () => {
    // Fold 1 lost 0.25 in stage 2; stage-2 mean of 0.75 and 0.25 is 0.5 with sd 0.25.
    expect(html).toContain('<td class="bad">\u22120.2500</td>');
    expect(html).toContain('0.5000 ± 0.2500');
    expect(html).toContain('<td>2 / 2</td>'); // fold 0 stage 1: best epoch 2 of 2
  });

  it('names the device each fold trained on, a dash when not recorded', () => {
    expect(html).toContain('<th>device</th>');
    expect(html).toMatch(/<td>GPU 1<\/td><\/tr><tr><td>1<\/td>.*?<td>–<\/td><\/tr>/);
  });

  it('tabulates coverage with the share of lost score', () => {
    // Lost score: empty 1 * (1 - 1) = 0, (0,10%] 3 * 0.5 = 1.5 -> 0% and 100%.
    expect(html).toContain('<tr><td class="text">empty</td><td>1</td><td>25.0%</td><td>1.0000</td><td>0.0%</td></tr>');
    expect(html).toContain('<tr><td class="text">(0,10%]</td><td>3</td><td>75.0%</td><td>0.5000</td><td>100.0%</td></tr>');
  });

  it('shows a dash for a coverage bin without images', async () => {
    const input = handInput();
    input.coverageBins.push({ coverageClass: 10, label: '(90%, 100%]', count: 0, meanScore: NaN });
    const page = await render(input);
    expect(page).toContain('<tr><td class="text">(90%, 100%]</td><td>0</td><td>0.0%</td><td>–</td><td>0.0%</td></tr>');
    expect(page).not.toContain('NaN');
  });

  it('shows the 2x2 empty/non-empty table with row percentages', () => {
    expect(html).toMatch(/<th>truth empty<\/th><td class="good">1<span class="pct">100\.0%<\/span><\/td><td class="bad">0<span class="pct">0\.0%<\/span><\/td><td>1<\/td>/);
    expect(html).toMatch(/<th>truth salt<\/th><td class="bad">1<span class="pct">33\.3%<\/span><\/td><td class="good">2<span class="pct">66\.7%<\/span><\/td><td>3<\/td>/);
  });

  it('escapes ids, titles, paths and config strings', () => {
    expect(html).toContain('<b>&lt;script&gt;x&lt;/script&gt;</b>');
    expect(html).toContain('<h1>exp &lt;b&gt;one&lt;/b&gt;</h1>');
    expect(html).toContain('runs/a&amp;b/submission.csv');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
  });

  it('loads nothing from outside the file', () => {
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    for (const m of html.matchAll(/<img [^>]*src="([^"]*)"/g)) expect(m[1].startsWith('data:image/png;base64,')).toBe(true);
  });

  it('draws every chart as balanced SVG with coordinates inside its viewBox', () => {
    const charts = svgs(html);
    // threshold + min area + coverage + all-folds val mAP + 2 folds x (loss, mAP)
    expect(charts).toHaveLength(8);
    for (const svg of charts) {
      assertBalanced(svg);
      const { width, height } = viewBox(svg);
      const { xs, ys } = coordinates(svg);
      for (const x of xs) expect(x >= 0 && x <= width).toBe(true);
      for (const y of ys) expect(y >= 0 && y <= height).toBe(true);
    }
  });

  it('marks the chosen threshold and the stage boundary', () => {
    expect(html).toContain('chosen p 0.500 / logit 0.000: 0.6250');
    expect(html).toContain('chosen 10 px: 0.7500');
    expect(html).toContain('stage 2 →');
    expect(html).toContain('>logit threshold</text>');
  });

  it('overlays every fold val mAP in one chart', () => {
    expect(html).toContain('>fold 0</text>');
    expect(html).toContain('>fold 1</text>');
  });

  it('explains the worst image', () => {
    // truth 4 of 6 px, pred 1 px: 0.25x the true area.
    expect(html).toContain('truth 4 px (66.7%) · pred 1 px (16.7%)');
    expect(html).toContain('under-segmented (0.25× the true area)');
    expect(html).toContain('score 0.0000 · IoU 0.2500');
  });

  it('lists timings with a total', () => {
    expect(html).toContain('<td class="text">train</td><td>1:30</td><td>75.0%</td>');
    expect(html).toContain('<td class="text">total</td><td>2:00</td>');
  });

  it('shows consistency notes only when something does not add up', async () => {
    expect(html).not.toContain('id="notes"');
    const input = handInput();
    input.confusion.truthNonEmptyPredNonEmpty = 3;
    const other = await render(input);
    expect(other).toContain('id="notes"');
    expect(other).toContain('The confusion table counts 5 images but the folds validate 4.');
  });

  it('degrades gracefully without sweeps, folds or images', async () => {
    const input = handInput();
    input.thresholdCurve = [];
    input.minAreaCurve = [];
    input.coverageBins = [];
    input.worst = [];
    input.folds = [];
    input.timings = {};
    const page = await render(input);
    expect(page).toContain('No threshold sweep was run.');
    expect(page).toContain('No min-area sweep was run.');
    expect(svgs(page)).toHaveLength(0);
    assertBalanced(page.replace('<!DOCTYPE html>', ''), VOIDS);
  });

  it('refuses pictures that do not match the worst images', () => {
    expect(() => renderHtml(handInput(), [])).toThrow(/0 pictures for 1 worst images/);
  });
});
