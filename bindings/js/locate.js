// Where the package's own files (wasm, models, lazily loaded modules) are, given the URL a
// bundler wrote from `new URL('./file', import.meta.url)`.
//
// Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, so that URL points
// into a folder that holds only the bundled JavaScript, and the dev server answers its index.html
// there. The files are still served from the package folder itself: this maps
// .../node_modules/.vite/deps/X -> .../node_modules/deepfake-shield/dist/X and
// .../node_modules/.vite/models/X -> .../node_modules/deepfake-shield/models/X. Any other URL
// (Node, a plain <script type=module>, Vite and webpack builds) is returned as it is.
const PRE_BUNDLED = /\/node_modules\/\.vite\/deps(?:_temp_[^/]*)?\/[^/]*$/;

export function packageFile(url, moduleUrl) {
  const here = String(moduleUrl).split(/[?#]/)[0];
  if (!PRE_BUNDLED.test(here)) return url;
  const vite = new URL('../', here).href;            // .../node_modules/.vite/
  const href = String(url instanceof URL ? url.href : url).split(/[?#]/)[0];
  if (!href.startsWith(vite)) return url;
  const rest = href.slice(vite.length).replace(/^deps(?:_temp_[^/]*)?\//, 'dist/');
  return new URL(`../deepfake-shield/${rest}`, vite);
}
