// Our SMP against libotr 4.1.1's own SMP steps (sm.h), driven by test/smp-libotr/sm-driver.c.
// This checks the wire format, the hash versions, the proofs and the comparison in both roles, before and
// independently of the session layer. The full session interop (data messages, combined secret from the
// real fingerprints and ssid) lives with the libotr peer tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Smp, TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, combinedSecret } from '../src/otr/smp.ts';
import { bigintToBytes } from '../src/otr/crypto/bigint.ts';
import type { Tlv } from '../src/otr/api.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const fpA = new Uint8Array(20).map((_, i) => i + 1);
const fpB = new Uint8Array(20).map((_, i) => 200 - i);
const ssid = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);

let dir: string;
let proc: ChildProcessWithoutNullStreams;
let lines: AsyncIterator<string>;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'otrbnc-smdrv-'));
  const bin = join(dir, 'sm-driver');
  const libs = execFileSync('pkg-config', ['--cflags', '--libs', 'libotr'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('cc', ['-O2', '-o', bin, new URL('./smp-libotr/sm-driver.c', import.meta.url).pathname, ...libs]);
  proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
});

after(() => {
  proc?.stdin.end();
  proc?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function libotr(cmd: string): Promise<string[]> {
  proc.stdin.write(cmd + '\n');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`libotr driver: no answer to ${cmd.slice(0, 20)}`)), 10_000).unref());
  const { value, done } = await Promise.race([lines.next(), timeout]);
  assert.ok(!done, 'libotr driver exited');
  return value.split(' ');
}

const secretHex = (initiatorFp: Uint8Array, responderFp: Uint8Array, s: string) =>
  hex(bigintToBytes(combinedSecret(initiatorFp, responderFp, ssid, enc(s)), 32));

/** We initiate (Alice), libotr responds (Bob). */
async function weStart(ours: string, theirs: string, question?: string) {
  const alice = new Smp();
  await libotr('new');
  const t1 = alice.start(enc(ours), fpA, fpB, ssid, question);
  let body = t1.value;
  if (t1.type === TLV_SMP1Q) body = body.subarray(body.indexOf(0) + 1);
  assert.deepEqual(await libotr(`step2a ${hex(body)} ${question === undefined ? 0 : 1}`), ['ok']);
  const [ok2, msg2] = await libotr(`step2b ${secretHex(fpA, fpB, theirs)}`);
  assert.equal(ok2, 'ok');
  const r3 = alice.handle({ type: TLV_SMP2, value: unhex(msg2!) });
  assert.equal(r3.reply?.type, TLV_SMP3, JSON.stringify(r3.events));
  const [ok4, msg4, libotrOutcome] = await libotr(`step4 ${hex(r3.reply!.value)}`);
  assert.equal(ok4, 'ok');
  const r5 = alice.handle({ type: TLV_SMP4, value: unhex(msg4!) });
  return { ours: r5.events.map((e) => e.type), libotr: libotrOutcome };
}

/** libotr initiates (Alice), we respond (Bob). */
async function theyStart(theirs: string, ours: string, question?: string) {
  const bob = new Smp();
  await libotr('new');
  const [ok1, msg1] = await libotr(`step1 ${secretHex(fpA, fpB, theirs)}`);
  assert.equal(ok1, 'ok');
  let tlv: Tlv = { type: TLV_SMP1, value: unhex(msg1!) };
  if (question !== undefined) tlv = { type: TLV_SMP1Q, value: Uint8Array.of(...enc(question), 0, ...tlv.value) };
  const r1 = bob.handle(tlv);
  assert.deepEqual(r1.events, [question === undefined ? { type: 'smp_asked' } : { type: 'smp_asked', question }]);
  const t2 = bob.respond(enc(ours), fpB, fpA, ssid);
  const [ok3, msg3] = await libotr(`step3 ${hex(t2.value)}`);
  assert.equal(ok3, 'ok');
  const r4 = bob.handle({ type: TLV_SMP3, value: unhex(msg3!) });
  assert.equal(r4.reply?.type, TLV_SMP4, JSON.stringify(r4.events));
  const [ok5, libotrOutcome] = await libotr(`step5 ${hex(r4.reply!.value)}`);
  assert.equal(ok5, 'ok');
  return { ours: r4.events.map((e) => e.type), libotr: libotrOutcome };
}

test('we initiate, libotr responds: right secret succeeds on both sides', async () => {
  assert.deepEqual(await weStart('s3cret', 's3cret'), { ours: ['smp_success'], libotr: 'succeeded' });
});

test('we initiate, libotr responds: wrong secret fails on both sides', async () => {
  assert.deepEqual(await weStart('s3cret', 'secret'), { ours: ['smp_failure'], libotr: 'failed' });
});

test('we initiate with a question', async () => {
  assert.deepEqual(await weStart('blue', 'blue', 'colour?'), { ours: ['smp_success'], libotr: 'succeeded' });
});

test('libotr initiates, we respond: right secret succeeds on both sides', async () => {
  assert.deepEqual(await theyStart('s3cret', 's3cret'), { ours: ['smp_success'], libotr: 'succeeded' });
});

test('libotr initiates, we respond: wrong secret fails on both sides', async () => {
  assert.deepEqual(await theyStart('s3cret', 'nope'), { ours: ['smp_failure'], libotr: 'failed' });
});

test('libotr initiates with a question, we respond', async () => {
  assert.deepEqual(await theyStart('42', '42', 'answer?'), { ours: ['smp_success'], libotr: 'succeeded' });
});

test('libotr rejects our SMP1 with a tampered proof; we reject libotr’s tampered SMP2', async () => {
  await libotr('new');
  const t1 = new Smp().start(enc('x'), fpA, fpB, ssid);
  const bad = Uint8Array.from(t1.value);
  bad[bad.length - 1] ^= 1; // last byte of D3
  assert.deepEqual(await libotr(`step2a ${hex(bad)} 0`), ['err']);

  const alice = new Smp();
  await libotr('new');
  assert.deepEqual(await libotr(`step2a ${hex(alice.start(enc('x'), fpA, fpB, ssid).value)} 0`), ['ok']);
  const [, msg2] = await libotr(`step2b ${secretHex(fpA, fpB, 'x')}`);
  const m2 = unhex(msg2!);
  m2[m2.length - 1] ^= 1; // last byte of D6
  const r = alice.handle({ type: TLV_SMP2, value: m2 });
  assert.deepEqual(r.events, [{ type: 'smp_cheated' }]);
  assert.equal(r.reply?.type, TLV_SMP_ABORT);
});
