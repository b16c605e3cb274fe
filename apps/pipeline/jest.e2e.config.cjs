// The end-to-end suites: the real pipeline through Nx, Slurm and the processes it starts
// (`nx e2e pipeline`, or `npx jest -c apps/pipeline/jest.e2e.config.cjs <suite>`). `nx e2e pipeline`
// runs one suite at a time (--maxWorkers=1); `npm test` runs them two at a time beside the unit
// tests (tools/ci/jest.all.cjs), so no suite may rely on having the machine to itself.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: `${require('./project.json').name}-e2e`,
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  setupFiles: ['<rootDir>/jest.nx-env.cjs'],
};
