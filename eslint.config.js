// ESLint (flat config): the recommended rules over every JavaScript file we write, with the
// globals each place runs with. Run by tools/test.sh (npm test) as `eslint .`.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/', 'dist/', 'dist-ext/', 'build*/', 'web/dist/', 'test-artifacts/', 'tools/train/cache/'] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  // The package runs in browsers, workers and Node alike; the page and extension in browsers.
  { files: ['bindings/js/**', 'web/**'], languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } } },
  { files: ['web/extension/**'], languageOptions: { globals: { ...globals.browser, ...globals.serviceworker, chrome: 'readonly' } } },
  { files: ['web/sw.js'], languageOptions: { globals: { ...globals.serviceworker } } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  // Browser tests hand functions to page.evaluate(): they run in the page.
  { files: ['tests/browser/**', 'tests/node/package.test.mjs', 'bench/**'], languageOptions: { globals: { ...globals.browser, ...globals.node } } },
  // ... and to the extension's service worker (sw.evaluate), where these are its globals.
  { files: ['tests/browser/extension.test.mjs'], languageOptions: { globals: { chrome: 'readonly', onMenuClick: 'readonly', openResult: 'readonly' } } },
];
