// Shared by the Node tests: paths, ../shared detection, one checker per test file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// DFS_SHARED points elsewhere (or at nothing, to run the suite as a clone without the data would).
export const SHARED = path.resolve(ROOT, process.env.DFS_SHARED ?? '../shared');
// A licence-clean portrait committed with the tests (tests/fixtures/faces/SOURCE.md): photo tests
// that need a face, not a particular data set, use it, so they run in a clone without ../shared.
export const FACE_FIXTURE = path.join(ROOT, 'tests/fixtures/faces/astronaut.jpg');
export const faceFixture = () => new Uint8Array(fs.readFileSync(FACE_FIXTURE));
export const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'README.md'));
export const SKIP_SHARED = HAVE_SHARED ? false : '../shared is absent (test data is read from there, never copied)';

export function sharedFile(rel) {
  return new Uint8Array(fs.readFileSync(path.join(SHARED, rel)));
}

export function labelled(dir) {
  const text = fs.readFileSync(path.join(SHARED, 'testdata', dir, 'labels.csv'), 'utf8');
  return text.split(/\r?\n/).slice(1).filter(Boolean).map((l) => {
    const [file, label] = l.split(',');
    return { file: path.join(SHARED, 'testdata', dir, file), label };
  });
}

/**
 * A skip reason for a missing tool, except in CI (CI=true), where the setup script installed
 * every tool: there a missing one fails the test instead of quietly skipping it.
 */
export function toolSkip(reason) {
  if (reason && process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  return reason;
}


export const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
// In CI the setup script installs ffmpeg: there a missing ffmpeg is a failure, not a skip.
export const SKIP_FFMPEG = HAVE_FFMPEG ? false : process.env.CI === 'true' ? false : 'ffmpeg is not installed';
// libheif's tools (HEIC in the CLI), also installed by the setup script.
export const HAVE_HEIF = ['heif-enc', 'heif-info', 'heif-convert'].every((t) => spawnSync(t, ['--help'], { stdio: 'ignore' }).error === undefined);
export const SKIP_HEIF = HAVE_HEIF ? false : process.env.CI === 'true' ? false : 'libheif-examples is not installed';
