// The end-to-end suites: the real pipeline through Nx, Slurm and the processes it starts
// (`nx e2e pipeline`, or `npx jest -c apps/pipeline/jest.e2e.config.cjs <suite>`). One suite at a
// time: the kill and takeover cases need the cores their watchdogs and reruns run on.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: `${require('./project.json').name}-e2e`,
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  setupFiles: ['<rootDir>/jest.nx-env.cjs'],
  maxWorkers: 1,
};
