// CommonJS entry: the implementation is ESM, loaded on first use (Node >= 18 supports this).
'use strict';
let mod;
const load = () => (mod ??= import('./index.js'));
exports.createChecker = async (options) => (await load()).createChecker(options);
exports.createRawModel = async (bytes, options) => (await load()).createRawModel(bytes, options);
exports.load = load;
// The package version, as index.js's VERSION (tests/node/package.test.mjs holds both to package.json).
exports.VERSION = '0.1.0';
// Same rule as index.js (synchronous, so not forwarded): threads need a cross-origin isolated
// browser context.
exports.threadsAvailable = () => !(typeof process !== 'undefined' && process.versions && process.versions.node) &&
  typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
