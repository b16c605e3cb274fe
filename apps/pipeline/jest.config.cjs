// The end-to-end suites spend much of their time waiting on child processes (Nx, fold trainers,
// Slurm jobs), so two of them run side by side even on a 2-core machine (jest's default there is
// one worker); each suite keeps its own data, work and output folders.
module.exports = { ...require('../../jest.preset.cjs'), displayName: require('./project.json').name, rootDir: __dirname, setupFiles: ['<rootDir>/jest.nx-env.cjs'], maxWorkers: 2 };
