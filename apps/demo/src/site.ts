/**
 * The demo page as files: `index.html`, `app.js` (./page/app.ts and the inference it imports,
 * bundled for the browser by esbuild), tfjs's wasm binaries under `wasm/`, and the bundle's files
 * under `bundle/`. Served by `npm run demo` and written by `--export`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { MANIFEST_JSON, readBundle, type BundleInfo } from '@segkit/infer';
import { WORKSPACE_ROOT } from '@segkit/run';

/** The folder of tfjs's wasm backend binaries, and the binaries the page may load. */
const WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/**
 * Resolves `@segkit/<lib>` to the lib's `src/browser.ts` (its exports that need no file system), and
 * refuses Node built-ins in the project's own code, so the page can only import what runs in a
 * browser: a lib without a browser entry, or a Node import on the way, fails the build naming it.
 */
function browserEntries(): Plugin {
  const paths = (JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
  return {
    name: 'segkit-browser-entries',
    setup(b) {
      b.onResolve({ filter: /^@segkit\// }, (args) => {
        const index = paths[args.path]?.[0];
        if (!index) return { errors: [{ text: `${args.path}: not a project lib (tsconfig.base.json paths)` }] };
        const browser = join(WORKSPACE_ROOT, dirname(index), 'browser.ts');
        const indexPath = join(WORKSPACE_ROOT, index);
        // A lib whose index needs nothing of Node (e.g. @segkit/rle) is its own browser entry.
        return { path: existsSync(browser) ? browser : indexPath };
      });
      b.onResolve({ filter: /^(node:|fs$|path$|os$|crypto$|child_process$|sharp$|@tensorflow\/tfjs-node)/ }, (args) =>
        args.importer.includes('node_modules') ? undefined : { errors: [{ text: `${args.path} (imported by ${args.importer}) does not run in a browser; import from the lib's browser entry` }] },
      );
    },
  };
}

/** The page's script: ./page/app.ts with tfjs and the libs' browser entries, one minified file. */
export function buildPageScript(): Promise<string> {
  return bundleForBrowser(join(__dirname, 'page', 'app.ts'));
}

/** A browser script of `entry` and everything it imports (see {@link browserEntries}); a build error lists esbuild's messages. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const res = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [browserEntries()],
  });
  return res.outputFiles[0].text;
}

/** The page around the script: everything it shows is filled in by app.js. */
export function pageHtml(info: BundleInfo): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self' blob: data:; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'">
<title>${esc(info.name)} — segmentation demo</title>
<link rel="icon" href="data:,">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 72em; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
#status { color: #555; margin-bottom: .8em; }
#errors:empty { display: none; }
#errors { background: #fdecea; border: 1px solid #e0a39b; padding: .5em .8em; margin: .8em 0; color: #8a1f11; }
#errors div { margin: .15em 0; }
#drop { border: 2px dashed #999; border-radius: 6px; padding: 1.2em; text-align: center; margin: .8em 0; }
#drop.over { background: #eef5ff; border-color: #3b78e7; }
.controls { display: flex; gap: 2em; flex-wrap: wrap; align-items: center; margin: .8em 0; }
.controls label { display: flex; gap: .5em; align-items: center; }
.controls output { font-variant-numeric: tabular-nums; min-width: 7em; }
#results { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6em; }
.card h2 { font-size: 1em; margin: 0 0 .4em; overflow-wrap: anywhere; }
.card canvas { image-rendering: pixelated; width: 100%; display: block; background: #000; }
.card .area { margin: .3em 0; font-variant-numeric: tabular-nums; }
.card svg { width: 100%; height: 70px; display: block; }
</style>
</head>
<body>
<h1>${esc(info.name)}</h1>
<div id="status">loading…</div>
<div id="errors" role="alert"></div>
<div id="drop">Drop PNG, JPEG or DICOM images ${info.input ? `(any size: resized to ${info.height}×${info.width} as in training)` : `of ${info.height}×${info.width}`} here, or <input id="files" type="file" accept="image/png,image/jpeg,application/dicom,.png,.jpg,.jpeg,.dcm" multiple></div>
<div class="controls">
<label>logit threshold <input id="threshold" type="range"> <output id="threshold-value"></output></label>
<label>min area <input id="min-area" type="range" min="0" step="1"> <output id="min-area-value"></output></label>
<button id="reset" type="button">tuned values</button>
</div>
<div id="results"></div>
<script src="app.js"></script>
</body>
</html>
`;
}

/** Every file of the page for a bundle, by URL path (no leading slash); the bundle is verified first. */
export async function siteFiles(bundleDir: string): Promise<Map<string, () => Buffer>> {
  const bundle = readBundle(bundleDir);
  const files = new Map<string, () => Buffer>();
  const html = Buffer.from(pageHtml(bundle.info));
  const script = Buffer.from(await buildPageScript());
  files.set('index.html', () => html);
  files.set('app.js', () => script);
  for (const f of WASM_FILES) files.set(`wasm/${f}`, () => readFileSync(join(WASM_DIR, f)));
  // The bundle's files as they are on disk now (read on each request), so the page's own checksum
  // check sees what a static host would serve.
  const manifest = JSON.parse(readFileSync(join(bundleDir, MANIFEST_JSON), 'utf8')) as { files: { path: string }[] };
  for (const p of [MANIFEST_JSON, ...manifest.files.map((f) => f.path)]) files.set(`bundle/${p}`, () => readFileSync(join(bundleDir, p)));
  return files;
}
