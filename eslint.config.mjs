import nx from '@nx/eslint-plugin';

// Module boundaries follow the pipeline: a project may only depend on layers below it.
const layers = ['core', 'data', 'compute', 'model', 'config', 'train', 'predict', 'ensemble', 'tune', 'submit', 'report', 'blend', 'infer', 'cluster'];
const nativeOnlyHere = [
  { name: '@tensorflow/tfjs-node', message: 'Only libs/compute/backend selects the native backend.' },
  { name: '@tensorflow/tfjs-node-gpu', message: 'Only libs/compute/backend selects the native backend.' },
];
// The kernels' float64 references are for tests: production code never loads them.
const testOnly = [
  { name: '@segkit/native/testing', message: 'Test helpers: import them from specs and test helpers only.' },
  { name: '@segkit/backend/testing', message: 'Test helpers: import them from specs and test helpers only.' },
  { name: '@segkit/folds/testing', message: 'Test fixtures: import them from specs and test helpers only.' },
];
const testFiles = ['**/*.spec.ts', '**/testing/**/*.ts', '**/testing.ts', '**/test-*.ts'];

const depConstraints = layers.map((layer, i) => ({
  sourceTag: `layer:${layer}`,
  onlyDependOnLibsWithTags: layers.slice(0, i + 1).map((l) => `layer:${l}`),
}));
depConstraints.push({ sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] });
depConstraints.push({ sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] });

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', '**/tmp', '.nx', 'data'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [...nativeOnlyHere, ...testOnly] }],
    },
  },
  {
    files: testFiles,
    rules: { 'no-restricted-imports': ['error', { paths: nativeOnlyHere }] },
  },
  {
    files: ['libs/compute/backend/src/select.ts', 'libs/compute/backend/src/select.spec.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
];
