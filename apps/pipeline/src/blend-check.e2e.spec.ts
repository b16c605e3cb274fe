import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './context';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

// A faulty blend is refused from the configs, before any member's step: `nx run <blend>:report`
// (the README's command) and `npm run pipeline -- --config <blend>` print one error line and exit 1.
// An end-to-end suite, so it runs beside the other pipeline suites; its Nx keeps its project graph in
// its own workspace data (an Nx that finds another one building the graph of the shared default
// takes that one's graph, built from other settings and experiments).
describe('a faulty blend', () => {
  const dir = join(WORKSPACE_ROOT, 'experiments');
  // An experiment no other test runs: its work directory appears only if one of its steps starts.
  const member = 'blendcheck-member';
  const memberWork = join(WORKSPACE_ROOT, 'runs', 'work', member);
  const blends: Record<string, unknown> = {
    'blendcheck-missing': { blend: { members: [member, 'blendcheck-nowhere'] } },
    'blendcheck-weights': { blend: { members: [member, 'smoke'], weights: [1] } },
    'blendcheck-folds': { blend: { members: [member, 'smoke'] } },
  };
  const file = (name: string) => join(dir, `${name}.json`);
  let nxData: string;

  beforeAll(() => {
    nxData = mkdtempSync(join(tmpdir(), 'blend-check-nx-'));
    mkdirSync(dir, { recursive: true });
    // smoke's data and model, on 3 folds instead of smoke's: another fold split.
    writeFileSync(file(member), JSON.stringify({ extends: 'smoke', folds: { k: 3 } }));
    for (const [name, raw] of Object.entries(blends)) writeFileSync(file(name), JSON.stringify(raw));
  });
  afterAll(() => {
    for (const name of [member, ...Object.keys(blends)]) rmSync(file(name), { force: true });
    rmSync(nxData, { recursive: true, force: true });
  });

  it.each([
    ['blendcheck-missing', 'blend member "blendcheck-nowhere" is neither a preset in configs/ nor an experiment in experiments/'],
    ['blendcheck-weights', 'blend.weights needs one weight per member (2), not all zero, or "tune"'],
    ['blendcheck-folds', `blend members "${member}" and "smoke" use different fold splits (folds: `],
  ])('%s: nx run <blend>:report exits 1 with one error line, no member step started', (name, fault) => {
    expect(existsSync(memberWork)).toBe(false);
    const nx = join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx');
    const r = spawnSync(nx, ['run', `${name}:report`, '--skip-nx-cache', '--output-style=stream'], {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', NX_WORKSPACE_DATA_DIRECTORY: nxData },
    });
    // Nx prefixes a task's lines with its project's name in its stream output.
    const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('error: '));
    expect(errors).toEqual([expect.stringContaining(`error: ${file(name)}: ${fault}`)]);
    expect(r.status).toBe(1);
    expect(existsSync(memberWork)).toBe(false);
  }, 120_000);

  it('npm run pipeline -- --config <blend> names the fault before any work', () => {
    const r = spawnSync(process.execPath, ['--require', BUNDLED, join(__dirname, 'run.ts'), '--config', 'blendcheck-folds'], {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    expect(r.stderr).toMatch(new RegExp(`^error: ${file('blendcheck-folds')}: blend members "${member}" and "smoke" use different fold splits \\(folds: [^\\n]*\\n$`));
    expect(r.status).toBe(1);
    expect(existsSync(memberWork)).toBe(false);
  }, 60_000);
});
