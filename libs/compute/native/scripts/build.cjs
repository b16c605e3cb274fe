#!/usr/bin/env node
// Builds the oneDNN addon (build/Release/segkit_onednn.node) with node-gyp. Run by `npm ci` /
// `npm install` (postinstall) and by `npm run build:native`.
//
// At install time the addon is optional: without a C++ compiler or oneDNN's headers, or when the
// build fails, one line says why, build/status.json records it (the backend log repeats it) and
// the install succeeds. With --required (npm run build:native) any of these is an error.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, writeFileSync, rmSync } = require('node:fs');
const { join, dirname } = require('node:path');

const root = join(__dirname, '..');
const buildDir = join(root, 'build');
const statusPath = join(buildDir, 'status.json');
const addonPath = join(buildDir, 'Release', 'segkit_onednn.node');
const logPath = join(buildDir, 'build.log');
const required = process.argv.includes('--required');
const HINT = 'install oneDNN (apt-get install libdnnl-dev, or brew install onednn) and a C++ compiler, then run npm run build:native';

function finish(built, reason) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(statusPath, JSON.stringify({ built, reason }, null, 2) + '\n');
  if (built) {
    console.log(`native kernels: built ${addonPath}`);
    return;
  }
  if (existsSync(addonPath)) rmSync(addonPath);
  const line = `native kernels not built: ${reason}`;
  if (required) {
    console.error(`error: ${line}`);
    process.exit(1);
  }
  console.log(`${line} (training uses the wasm kernels; ${HINT})`);
}

function which(cmd) {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

function onednnHeaders() {
  const roots = [process.env.ONEDNN_ROOT, '/usr', '/usr/local', '/opt/homebrew'].filter(Boolean);
  return roots.map((r) => join(r, 'include', 'oneapi', 'dnnl', 'dnnl.hpp')).find((p) => existsSync(p));
}

function nodeGyp() {
  // npm tells its scripts where its bundled node-gyp is; elsewhere look for npm's copy beside node.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  return candidates.find((p) => p && existsSync(p));
}

function main() {
  if (process.env.SEGKIT_SKIP_NATIVE_BUILD === '1') return finish(false, 'skipped by SEGKIT_SKIP_NATIVE_BUILD=1');
  // The variable's former name still works, with a notice.
  if (process.env.TGS_SKIP_NATIVE_BUILD === '1') return finish(false, 'skipped by TGS_SKIP_NATIVE_BUILD=1 (deprecated: use SEGKIT_SKIP_NATIVE_BUILD=1)');
  const cxx = process.env.CXX || which('c++') || which('g++') || which('clang++');
  if (!cxx) return finish(false, 'no C++ compiler found (c++, g++ or clang++)');
  const headers = onednnHeaders();
  if (!headers) return finish(false, 'oneDNN headers (oneapi/dnnl/dnnl.hpp) not found');
  const gyp = nodeGyp();
  if (!gyp) return finish(false, 'node-gyp not found (it ships with npm)');
  mkdirSync(buildDir, { recursive: true });
  process.stdout.write(`native kernels: building against oneDNN in ${dirname(dirname(dirname(dirname(headers))))} ... `);
  const res = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs', 'max'], { cwd: root, encoding: 'utf8', env: process.env });
  // node-gyp's rebuild removes the build directory first, and a configure failure (no Node headers
  // offline, say) leaves none.
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(logPath, `${res.stdout ?? ''}\n${res.stderr ?? ''}`);
  if (res.status !== 0) {
    process.stdout.write('failed\n');
    const firstError = `${res.stdout}\n${res.stderr}`.split('\n').find((l) => /error/i.test(l) && !/gyp ERR!/.test(l));
    return finish(false, `the build failed${firstError ? `: ${firstError.trim()}` : ''} (full log: ${logPath})`);
  }
  process.stdout.write('done\n');
  // A library that links but cannot load (missing shared object at run time) counts as not built.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addonPath)}).version()`], { encoding: 'utf8' });
  if (check.status !== 0) return finish(false, `the addon was built but does not load: ${(check.stderr || '').split('\n').find((l) => l.trim()) ?? 'unknown error'}`);
  finish(true, undefined);
}

main();
