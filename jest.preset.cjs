// Shared jest settings: TypeScript through swc, path aliases from tsconfig.base.json.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  moduleNameMapper,
  testTimeout: 120000,
  // Test files run in a vm context, where every read of a global goes through the context's
  // interceptor: tfjs's seeded initializers (Math.log, Math.sqrt, isNaN per sample) ran ~15× slower
  // than in a plain process, and building a ResNet's initial weights took seconds. These three are
  // functions and a namespace, never constructors, so sharing them with the outer realm changes no
  // instanceof check.
  sandboxInjectedGlobals: ['Math', 'isNaN', 'isFinite'],
};
