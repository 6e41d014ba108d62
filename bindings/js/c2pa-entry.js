// Bundle entry for dist/c2pa-verifier.js (tools/build.sh, esbuild): the parts of @trustnxt/c2pa-ts
// that bindings/js/c2pa.js uses, as one ES module a page, a worker or an extension can load
// lazily by URL, without a bundler of its own.
export { JPEG, PNG, BMFF } from '@trustnxt/c2pa-ts/asset';
export { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
export { ManifestStore, ValidationResult } from '@trustnxt/c2pa-ts/manifest';
