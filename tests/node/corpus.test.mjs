// The hostile corpus (tests/corpus/hostile.mjs) through the CLI, one process per file: each file
// gets its expected code (or checks cleanly), nothing hangs, and no single file takes the CLI
// past 1 GB of resident memory (measured by a preload that reports the process's VmHWM on exit).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';
import { writeHostileCorpus } from '../corpus/hostile.mjs';

const CLI = path.join(ROOT, 'bin/deepfake-shield.js');
const RSS_LIMIT_KB = 1024 * 1024;

test('hostile corpus: every file gets its code from the CLI, under 1 GB peak RSS each', { timeout: 300000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-corpus-'));
  const preload = path.join(dir, 'rss-report.mjs');
  try {
    const cases = writeHostileCorpus(path.join(dir, 'c'));
    // VmHWM is this process's own peak (getrusage's maxRSS also counts what the forking test
    // process held, which Linux carries across exec).
    fs.writeFileSync(preload, `import fs from 'node:fs';
process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  process.stderr.write(\`maxrss_kb=\${kb}\\n\`);
});
`);
    const rows = [];
    for (const c of cases) {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['--import', preload, CLI, '--json', '--', path.join(dir, 'c', c.file)],
        { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.error, undefined, `${c.file}: the CLI finished (${r.error?.message})`);
      const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
      const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(lines.length, 1, `${c.file}: one result line (${r.stdout}${r.stderr})`);
      const got = lines[0].error?.code ?? null;
      rows.push({ ...c, got, rss_mb: Math.round(rss / 1024), ms: Date.now() - t0 });
      assert.equal(got, c.expect, `${c.file} (${c.note}): ${lines[0].error?.message ?? 'no error'}`);
      assert.equal(r.status, c.expect ? 1 : 0, `${c.file}: exit status`);
      if (c.expect) assert.ok(lines[0].error.message.length > 10, `${c.file}: a message that says why`);
      assert.ok(rss > 0 && rss < RSS_LIMIT_KB, `${c.file}: peak RSS ${rss} kB`);
    }
    console.log('[corpus] class | file | expected | got | peak RSS MB | ms');
    for (const r of rows) console.log(`[corpus] ${r.cls} | ${r.file} | ${r.expect ?? 'OK'} | ${r.got ?? 'OK'} | ${r.rss_mb} | ${r.ms}`);
    assert.ok(new Set(rows.map((r) => r.cls)).size >= 4);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
