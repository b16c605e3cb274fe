// The app's unit tests (flags, help, README, context). The end-to-end suites (*.e2e.spec.ts) are
// the `e2e` target's (jest.e2e.config.cjs).
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./project.json').name,
  rootDir: __dirname,
  testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.spec\\.ts$'],
};
