import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeLuminance, decodeRgb } from '@segkit/data';
import { WORKSPACE_ROOT } from '@segkit/run';
import { encodeDicom } from '@segkit/synthetic';
import { bundleForBrowser } from '../site';

// The page's decoders in Debian's Chromium (driven by playwright-core, which downloads nothing)
// against `npm run infer`'s loader on the same files. On CI a missing browser is a failure,
// elsewhere the test is skipped saying why.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const onCi = process.env.CI === 'true';

const W = 37;
const H = 23;
/** Deterministic values (a fixed LCG) with smooth gradients under the noise, as photos have. */
function values(n: number, channels: number, max: number): number[] {
  let s = 11;
  return Array.from({ length: n * channels }, (_, i) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const p = Math.floor(i / channels);
    const smooth = (((p % W) * 5 + Math.floor(p / W) * 7 + (i % channels) * 40) / 400) % 1;
    return Math.round(Math.min(1, Math.max(0, smooth + ((s % 1000) / 1000 - 0.5) * 0.2)) * max);
  });
}
const raw8 = (channels: 1 | 3) => sharp(Buffer.from(values(W * H, channels, 255)), { raw: { width: W, height: H, channels } });
const raw16 = (channels: 1 | 3) => sharp(new Uint16Array(values(W * H, channels, 65535)), { raw: { width: W, height: H, channels } });

const FILES: [string, () => Promise<Buffer>][] = [
  ['grey8.png', () => raw8(1).toColourspace('b-w').png().toBuffer()],
  ['grey16.png', () => raw16(1).toColourspace('grey16').png().toBuffer()],
  ['rgb16-interlaced.png', () => raw16(3).toColourspace('rgb16').png({ progressive: true }).toBuffer()],
  ['palette.png', () => raw8(3).png({ palette: true, colours: 16 }).toBuffer()],
  ['colour-420.jpg', () => raw8(3).jpeg({ quality: 85 }).toBuffer()],
  ['colour-444-progressive.jpeg', () => raw8(3).jpeg({ quality: 92, chromaSubsampling: '4:4:4', progressive: true }).toBuffer()],
  ['grey.jpg', () => raw8(1).toColourspace('b-w').jpeg({ quality: 75 }).toBuffer()],
  ['ct12.dcm', async () => encodeDicom({ height: H, width: W, pixels: new Uint16Array(values(W * H, 1, 4095)), bitsStored: 12, sopInstanceUid: '1.2.3', studyUid: '1.2', seriesUid: '1.2.4' })],
  ['inverted8.dcm', async () => encodeDicom({ height: H, width: W, pixels: new Uint8Array(values(W * H, 1, 255)), photometric: 'MONOCHROME1', sopInstanceUid: '1.2.3', studyUid: '1.2', seriesUid: '1.2.4' })],
];

interface PageDecode {
  height?: number;
  width?: number;
  luminance?: number[];
  rgb?: number[];
  error?: string;
}

const ENTRY = `
import { luminanceFromSamples, rgbFromSamples } from '@segkit/data';
import { decodeSamples } from ${JSON.stringify(join(__dirname, 'decode'))};
(window as unknown as { decodeForTest: unknown }).decodeForTest = async (base64: string, name: string) => {
  try {
    const s = await decodeSamples(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)), name);
    const n = s.height * s.width;
    return { height: s.height, width: s.width, luminance: Array.from(luminanceFromSamples(s.samples, s.channels, n)), rgb: Array.from(rgbFromSamples(s.samples, s.channels, n)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
};
`;

describe('the page decodes an image as npm run infer does (headless Chromium)', () => {
  if (!haveChromium && !onCi) {
    it(`skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`, () => undefined);
    return;
  }
  mkdirSync(join(WORKSPACE_ROOT, 'tmp'), { recursive: true });
  // Inside the workspace, so the entry resolves the libs and packages the page uses.
  const dir = mkdtempSync(join(WORKSPACE_ROOT, 'tmp', 'demo-decode-'));
  let decode: (file: string) => Promise<PageDecode>;
  let close = async () => undefined as void;
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`Chromium is required on CI (apt-get install chromium); none at ${CHROMIUM}`);
    for (const [name, make] of FILES) writeFileSync(join(dir, name), await make());
    writeFileSync(join(dir, 'notes.png'), 'not really an image, though named like one');
    writeFileSync(join(dir, 'entry.ts'), ENTRY);
    const script = await bundleForBrowser(join(dir, 'entry.ts'));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    close = () => browser.close();
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: script });
    decode = (file) =>
      page.evaluate(([b64, name]) => (window as unknown as { decodeForTest(b: string, n: string): Promise<PageDecode> }).decodeForTest(b64, name), [readFileSync(join(dir, file)).toString('base64'), file] as const);
  }, 60_000);
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(FILES.map(([name]) => name))('%s: the same luminance plane and RGB samples, pixel for pixel', async (name) => {
    const file = join(dir, name);
    const [luminance, rgb] = await Promise.all([decodeLuminance(file), decodeRgb(file)]);
    const page = await decode(name);
    expect(page.error).toBeUndefined();
    expect([page.height, page.width]).toEqual([H, W]);
    expect(page.luminance).toEqual(Array.from(luminance.data));
    expect(page.rgb).toEqual(Array.from(rgb.data));
  });

  it('a file that is no image is an error naming it', async () => {
    expect((await decode('notes.png')).error).toBe('notes.png: not a PNG, JPEG or DICOM image');
  });
});
