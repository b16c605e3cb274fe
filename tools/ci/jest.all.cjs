// `npm test`'s one Jest run: every project's unit tests and the pipeline's end-to-end suites, as
// the projects of one run on three workers for two cores. Jest hands the next test file to
// whichever worker is free, so the minutes-long e2e suites (ordered first by ./sequencer.cjs) and
// the hundred short unit files share the cores without a hand-made split. A third worker because
// an e2e suite leaves about a third of its core idle (it waits on its pipeline's processes, on
// Slurm, on a kill to land): measured on 2 cores, the whole run took 6 min 38 s on three workers
// and 8 min on two (6 min 10 s with OpenMP's threads sleeping while they wait, ./test.sh). Each
// project keeps its own config (`nx test <project>` and `nx e2e pipeline` run the same files one
// project at a time).
const { join } = require('node:path');

module.exports = {
  rootDir: join(__dirname, '..', '..'),
  projects: ['<rootDir>/libs/*/*/jest.config.cjs', '<rootDir>/apps/*/jest.config.cjs', '<rootDir>/apps/pipeline/jest.e2e.config.cjs'],
  testSequencer: join(__dirname, 'sequencer.cjs'),
  maxWorkers: 3,
  // Global options are not read from the projects' configs: the preset's test timeout again.
  testTimeout: require('../../jest.preset.cjs').testTimeout,
};
