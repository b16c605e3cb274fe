/**
 * `npm run demo -- --bundle <dir> [--port <n>] [--export <dir>]`
 *
 * A pipeline run's bundle as a web page that segments dropped images in the browser with
 * @tensorflow/tfjs: the same preprocessing, TTA, fold ensemble, threshold and minimum area as
 * `npm run infer` (the page runs @segkit/infer's inference, bundled for the browser). Serves it on
 * localhost, or writes it as static files with --export.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { defineFlags, formatHelp, HELP_FLAG, integerFlag, parseFlags } from '@segkit/cli';
import { atomicWriteDir, log, runCli, UserError } from '@segkit/io';
import { siteFiles } from './site';

export const COMMAND = 'npm run demo --';

export const FLAGS = defineFlags({
  bundle: { value: '<dir>', description: 'a pipeline run\'s bundle folder (<out>/bundle of npm run pipeline); required' },
  port: { value: '<n>', description: 'the localhost port to serve on (0: any free port)', default: '8080' },
  export: { value: '<dir>', description: 'write the page and the bundle as static files to this folder instead of serving them', default: 'serve' },
  ...HELP_FLAG,
});

export const HELP = formatHelp({
  usage: `${COMMAND} --bundle <dir> [--port <n>] [--export <dir>]`,
  summary:
    'Serves a page on http://127.0.0.1:<port>/ that loads the bundle\'s models with @tensorflow/tfjs in the browser (WebGL, else wasm, else cpu) and ' +
    'segments dropped or chosen .png images exactly as npm run infer does, with the mask, its area, the logit histogram and threshold and min-area ' +
    'sliders. The page makes no request outside this server. The bundle is checked against its manifest first; --export writes the same files for any static host.',
  flags: FLAGS,
});

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', json: 'application/json', wasm: 'application/wasm', bin: 'application/octet-stream' };

export async function main(argv: string[]): Promise<void> {
  const { values } = parseFlags(FLAGS, argv, { command: COMMAND });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.bundle === undefined) throw new UserError(`--bundle is required; see ${COMMAND} --help`);
  if (values.export !== undefined && values.port !== undefined) throw new UserError('--export and --port exclude each other');
  const port = values.port === undefined ? 8080 : integerFlag('port', values.port, 0);
  if (port !== undefined && port > 65535) throw new UserError(`--port must be at most 65535, got ${port}`);
  const bundleDir = resolve(values.bundle);
  const files = await siteFiles(bundleDir);

  if (values.export !== undefined) {
    const out = resolve(values.export);
    await atomicWriteDir(out, (tmp) => {
      for (const [path, read] of files) {
        mkdirSync(dirname(join(tmp, path)), { recursive: true });
        writeFileSync(join(tmp, path), read());
      }
    });
    log('demo', `wrote ${files.size} files to ${out}; serve the folder with any static web server and open index.html`);
    return;
  }

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '') || 'index.html';
    const read = req.method === 'GET' || req.method === 'HEAD' ? files.get(path) : undefined;
    if (!read) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: /${path}\n`);
      return;
    }
    let body: Buffer;
    try {
      body = read();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read /${path}: ${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'EADDRINUSE' ? new UserError(`--port ${port}: already in use; pass another (0 picks a free one)`) : err));
    server.listen(port, '127.0.0.1', () => done());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  log('demo', `serving ${bundleDir} at ${url} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        server.close(() => done());
        server.closeAllConnections();
      });
    }
  });
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
