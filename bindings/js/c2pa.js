// Content Credentials (C2PA) verification, loaded only when the core's container scan found a
// manifest: a maintained implementation (@trustnxt/c2pa-ts, pure TypeScript, Apache-2.0) reads
// the manifest store and checks the claim signature and the hashes. Where it is not installed
// or cannot be loaded (a page without a bundler), the manifest stays "present, not verified".

import { packageFile } from './locate.js';

const GENERATIVE = /\/(trainedAlgorithmicMedia|compositeWithTrainedAlgorithmicMedia)$/;

let loading = null;
// dist/c2pa-verifier.js (built by tools/build.sh with esbuild; ~780 KB, fetched only when a
// file carries a manifest) next to this module, else the installed package.
async function importVerifier() {
  try {
    const b = await import(/* @vite-ignore */ /* webpackIgnore: true */ packageFile(new URL('./c2pa-verifier.js', import.meta.url), import.meta.url).href);
    return { asset: b, jumbf: b, manifest: b };
  } catch (first) {
    // Split so bundlers treat it as optional and a plain page never resolves it eagerly.
    const pkg = '@trustnxt/' + 'c2pa-ts';
    try {
      const [asset, jumbf, manifest] = await Promise.all([import(/* @vite-ignore */ /* webpackIgnore: true */ `${pkg}/asset`),
        import(/* @vite-ignore */ /* webpackIgnore: true */ `${pkg}/jumbf`), import(/* @vite-ignore */ /* webpackIgnore: true */ `${pkg}/manifest`)]);
      return { asset, jumbf, manifest };
    } catch {
      throw first;
    }
  }
}
function load() {
  loading ??= importVerifier().catch((e) => {
    loading = null;
    throw e;
  });
  return loading;
}

const text = (x) => (x == null ? null : String(x).slice(0, 300));

/**
 * Verifies the C2PA manifest store in `bytes` (JPEG, PNG or ISO-BMFF). Resolves to
 * {verified, valid, signer, issuer, claim_generator, actions, digital_source_type, ingredients,
 *  trust, errors}; never rejects. `valid` is the integrity (claim signature + hashes); the
 * signer is never checked against a trust list here, so `trust` says so.
 */
export async function verifyC2pa(bytes) {
  let lib;
  try {
    lib = await load();
  } catch (e) {
    return { verified: false, valid: null, trust: 'not checked', errors: [`C2PA verifier not available here (${e.message?.split('\n')[0] || e})`] };
  }
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { JPEG, PNG, BMFF } = lib.asset;
  try {
    const Kind = [JPEG, PNG, BMFF].find((k) => k.canRead(buf));
    if (!Kind) return { verified: false, valid: null, trust: 'not checked', errors: ['the verifier does not read this container'] };
    const asset = new Kind(buf);
    const store = lib.manifest.ManifestStore.read(lib.jumbf.SuperBox.fromBuffer(asset.getManifestJUMBF()));
    let result;
    try {
      result = await store.validate(asset);
    } catch (e) {
      result = lib.manifest.ValidationResult.fromError(e);
    }
    const m = store.getActiveManifest();
    const all = m?.assertions?.assertions ?? [];
    const actions = all.filter((a) => /^c2pa\.actions/.test(a.label ?? '')).flatMap((a) => a.actions ?? []);
    const dst = actions.map((a) => a.digitalSourceType).find(Boolean) ?? null;
    const cert = m?.signature?.signatureData?.certificate;
    return {
      verified: true,
      valid: !!result.isValid,
      signer: text(cert?.subject),
      issuer: text(cert?.issuer),
      claim_generator: text(m?.claim?.claimGeneratorName),
      actions: actions.map((a) => text(a.action)).filter(Boolean).slice(0, 50),
      digital_source_type: dst ? String(dst).split('/').pop() : null,
      generative: !!(dst && GENERATIVE.test(String(dst))),
      ingredients: all.filter((a) => /^c2pa\.ingredient/.test(a.label ?? '')).length,
      // No trust list ships with the checker: a valid signature says the file is unchanged since
      // it was signed, not who the signer is.
      trust: 'signer not checked against a trust list',
      errors: result.statusEntries.filter((s) => !s.success).map((s) => text(s.code + (s.explanation ? `: ${s.explanation}` : ''))).slice(0, 20),
    };
  } catch (e) {
    return { verified: true, valid: false, trust: 'not checked', errors: [`unreadable manifest: ${text(e.message)}`] };
  }
}

/**
 * Merges a verification into a result's provenance (in place): c2pa gets the verification's
 * fields, and a valid manifest that declares generative AI sets ai_declared.
 */
export function mergeC2pa(provenance, v) {
  if (!provenance?.c2pa) return provenance;
  Object.assign(provenance.c2pa, v);
  if (v.valid && v.generative) provenance.ai_declared = true;
  return provenance;
}
