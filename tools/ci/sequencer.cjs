// Longest first: the e2e suites (minutes each) start before any unit test file (seconds), in the
// order of their measured length, so no core waits on one long suite at the end. Within the unit
// files Jest's own order stands (the last run's durations where Jest has them, else file size).
const Sequencer = require('@jest/test-sequencer').default;

// Measured on a quiet 2-core machine (rerun 144 s, pipeline 94 s, reliability 91 s, Slurm 66 s).
const E2E_ORDER = ['rerun', 'pipeline', 'reliability', 'slurm', 'blend-check', 'gpus'];

function e2eRank(path) {
  const m = /([\w-]+)\.e2e\.spec\.ts$/.exec(path);
  if (!m) return Infinity;
  const i = E2E_ORDER.indexOf(m[1]);
  return i === -1 ? E2E_ORDER.length : i;
}

class LongestFirst extends Sequencer {
  sort(tests) {
    const rest = super.sort(tests.filter((t) => e2eRank(t.path) === Infinity));
    const e2e = tests.filter((t) => e2eRank(t.path) !== Infinity).sort((a, b) => e2eRank(a.path) - e2eRank(b.path));
    return [...e2e, ...rest];
  }
}

module.exports = LongestFirst;
