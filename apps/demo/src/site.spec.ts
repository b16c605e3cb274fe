import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@segkit/run';
import { buildPageScript, bundleForBrowser } from './site';

describe('the page script', () => {
  // Inside the workspace, so the entries resolve packages from its node_modules.
  mkdirSync(join(WORKSPACE_ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(WORKSPACE_ROOT, 'tmp', 'demo-site-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the page with the libs\' browser entries and no Node module', async () => {
    const js = await buildPageScript();
    expect(js.length).toBeGreaterThan(100_000); // tfjs is in it
    // The inference of @segkit/infer, not a copy: its error texts come along.
    expect(js).toContain('is not a supported set');
    expect(js).not.toMatch(/require\(["']node:/);
  }, 60_000);

  it.each([
    ['a Node built-in', "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);", /node:fs \(imported by .*entry\.ts\) does not run in a browser/],
    ['a lib without a browser entry whose index needs Node', "import { acquireLock } from '@segkit/process';\nconsole.log(acquireLock);", /does not run in a browser/],
    ['something that is not a lib', "import { x } from '@segkit/nothing';\nconsole.log(x);", /@segkit\/nothing: not a project lib/],
  ])('refuses %s', async (_what, source, message) => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, source);
    await expect(bundleForBrowser(entry)).rejects.toThrow(message);
  }, 60_000);
});
