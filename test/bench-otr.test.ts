// bench:otr keeps working: a tiny run of two workloads prints the documented JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('npm run bench:otr -- --json prints both engines, medians and ratios', () => {
  const script = fileURLToPath(new URL('../bench/otr.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--json', '--only', 'ake,oneway,big', '--n-scale', '0.02', '--warmup', '1'], {
    encoding: 'utf8', timeout: 120_000,
  });
  const r = JSON.parse(out) as Record<string, { otrbnc: { median: number }; libotr: { median: number; wire_bytes_per_iter: { a2b: number } }; ratio: number }>;
  assert.deepEqual(Object.keys(r), ['ake_ms', 'msg_us_oneway', 'msg_us_big']);
  for (const [k, v] of Object.entries(r)) {
    assert.ok(v.otrbnc.median > 0 && v.libotr.median > 0, k);
    assert.ok(Math.abs(v.ratio - v.otrbnc.median / v.libotr.median) < 0.01 * v.ratio + 0.001, k);
  }
  // The libotr driver does the documented work (WORKLOAD.md's wire sizes).
  assert.equal(r.ake_ms!.libotr.wire_bytes_per_iter.a2b, 1303);
  assert.equal(r.msg_us_oneway!.libotr.wire_bytes_per_iter.a2b, 478);
  assert.equal(r.msg_us_big!.libotr.wire_bytes_per_iter.a2b, 3334);
});
