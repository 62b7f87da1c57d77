import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Reader, Writer } from './serial.ts';
import {
  SMP_GROUP, Smp, TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, combinedSecret, serialize, smpHash,
} from './smp.ts';
import type { SmpEvent, Tlv } from './api.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const fpA = new Uint8Array(20).fill(0xa1);
const fpB = new Uint8Array(20).fill(0xb2);
const ssid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const { p, q } = SMP_GROUP;

function mpis(tlv: Tlv): { prefix: Uint8Array; values: bigint[] } {
  let body = tlv.value;
  let prefix: Uint8Array = new Uint8Array(0);
  if (tlv.type === TLV_SMP1Q) {
    const nul = body.indexOf(0);
    prefix = body.subarray(0, nul + 1);
    body = body.subarray(nul + 1);
  }
  const r = new Reader(body);
  const n = r.int();
  const values = Array.from({ length: n }, () => r.mpi());
  r.end();
  return { prefix, values };
}

function withMpis(tlv: Tlv, values: bigint[], prefix = mpis(tlv).prefix): Tlv {
  const body = serialize(values);
  const value = new Uint8Array(prefix.length + body.length);
  value.set(prefix);
  value.set(body, prefix.length);
  return { type: tlv.type, value };
}

interface Run {
  alice: Smp;
  bob: Smp;
  t1: Tlv;
  asked: SmpEvent[];
  t2: Tlv;
  r3: { reply?: Tlv; events: SmpEvent[] };
  r4: { reply?: Tlv; events: SmpEvent[] };
  r5: { reply?: Tlv; events: SmpEvent[] };
}

function run(secretA: string, secretB: string, question?: string): Run {
  const alice = new Smp();
  const bob = new Smp();
  const t1 = alice.start(enc(secretA), fpA, fpB, ssid, question);
  assert.equal(alice.inProgress, true);
  const r1 = bob.handle(t1);
  assert.equal(r1.reply, undefined);
  assert.equal(bob.awaitingSecret, true);
  const t2 = bob.respond(enc(secretB), fpB, fpA, ssid);
  assert.equal(bob.awaitingSecret, false);
  const r3 = alice.handle(t2);
  const r4 = bob.handle(r3.reply!);
  const r5 = alice.handle(r4.reply!);
  return { alice, bob, t1, asked: r1.events, t2, r3, r4, r5 };
}

test('matching secrets: success on both sides, messages have the spec’s shape', () => {
  const r = run('s3cret', 's3cret');
  assert.equal(r.t1.type, TLV_SMP1);
  assert.equal(r.t2.type, TLV_SMP2);
  assert.equal(r.r3.reply!.type, TLV_SMP3);
  assert.equal(r.r4.reply!.type, TLV_SMP4);
  assert.equal(mpis(r.t1).values.length, 6);
  assert.equal(mpis(r.t2).values.length, 11);
  assert.equal(mpis(r.r3.reply!).values.length, 8);
  assert.equal(mpis(r.r4.reply!).values.length, 3);
  assert.deepEqual(r.asked, [{ type: 'smp_asked' }]);
  assert.deepEqual(r.r3.events, [{ type: 'smp_progress', step: 'responded' }]);
  assert.deepEqual(r.r4.events, [{ type: 'smp_success', fingerprint: '', updatesTrust: true }]);
  assert.deepEqual(r.r5.events, [{ type: 'smp_success', fingerprint: '', updatesTrust: true }]);
  assert.equal(r.r5.reply, undefined);
  for (const s of [r.alice, r.bob]) assert.equal(s.inProgress, false);
});

test('different secrets: failure on both sides', () => {
  const r = run('s3cret', 'secret');
  assert.deepEqual(r.r4.events, [{ type: 'smp_failure', updatesTrust: true }]);
  assert.deepEqual(r.r5.events, [{ type: 'smp_failure', updatesTrust: true }]);
});

test('the combined secret binds the fingerprints in initiator/responder order and the ssid', () => {
  const expected = createHash('sha256').update(Uint8Array.of(1)).update(fpA).update(fpB).update(ssid).update(enc('x')).digest('hex');
  assert.equal(combinedSecret(fpA, fpB, ssid, enc('x')).toString(16).padStart(64, '0'), expected);
  // Same secret, but the responder uses another ssid or swaps the fingerprints: failure.
  const alice = new Smp();
  const bob = new Smp();
  bob.handle(alice.start(enc('k'), fpA, fpB, ssid));
  const t2 = bob.respond(enc('k'), fpA, fpB, ssid); // wrong: Bob passes Alice's fp as his own
  const r4 = bob.handle(alice.handle(t2).reply!);
  assert.equal(r4.events[0]!.type, 'smp_failure');
});

test('the SMP hash is SHA-256 of version byte and MPIs', () => {
  const w = new Writer().byte(5).mpi(0x1234n).mpi(7n).bytes();
  assert.equal(smpHash(5, 0x1234n, 7n), BigInt('0x' + createHash('sha256').update(w).digest('hex')));
});

test('question: delivered NUL-terminated before the MPIs; responder does not update trust', () => {
  const r = run('blue', 'blue', 'Favourite colour? ✓');
  assert.equal(r.t1.type, TLV_SMP1Q);
  const nul = r.t1.value.indexOf(0);
  assert.equal(new TextDecoder().decode(r.t1.value.subarray(0, nul)), 'Favourite colour? ✓');
  assert.deepEqual(r.asked, [{ type: 'smp_asked', question: 'Favourite colour? ✓' }]);
  assert.deepEqual(r.r4.events, [{ type: 'smp_success', fingerprint: '', updatesTrust: false }]);
  assert.deepEqual(r.r5.events, [{ type: 'smp_success', fingerprint: '', updatesTrust: true }]);
  const cut = new Smp().start(enc('x'), fpA, fpB, ssid, 'a\0b');
  assert.deepEqual(new Smp().handle(cut).events, [{ type: 'smp_asked', question: 'a' }]);
});

test('an empty question is still a question', () => {
  const r = run('a', 'a', '');
  assert.deepEqual(r.asked, [{ type: 'smp_asked', question: '' }]);
  assert.equal(r.r5.events[0]!.type, 'smp_success');
});

test('abort at each step, by either side', () => {
  // Steps: 0 = after SMP1 sent, 1 = after Bob got SMP1 (asked), 2 = after SMP2 sent, 3 = after SMP3 sent.
  for (let step = 0; step <= 3; step++) {
    for (const aborter of ['alice', 'bob'] as const) {
      const alice = new Smp();
      const bob = new Smp();
      const pending: { to: Smp; tlv: Tlv }[] = [];
      const t1 = alice.start(enc('x'), fpA, fpB, ssid);
      if (step >= 1) bob.handle(t1);
      let t2: Tlv | undefined;
      if (step >= 2) t2 = bob.respond(enc('x'), fpB, fpA, ssid);
      let t3: Tlv | undefined;
      if (step >= 3) t3 = alice.handle(t2!).reply!;
      const [me, peer] = aborter === 'alice' ? [alice, bob] : [bob, alice];
      const abort = me.abort();
      assert.deepEqual(abort, { type: TLV_SMP_ABORT, value: new Uint8Array(0) });
      assert.equal(me.inProgress, false);
      const wasUnderWay = aborter === 'bob' || step >= 1; // bob takes part from SMP1 on
      assert.deepEqual(peer.handle(abort), { events: [{ type: 'smp_aborted', byPeer: true, wasUnderWay }] });
      assert.equal(peer.inProgress, false);
      assert.equal(peer.awaitingSecret, false);
      // A message of the aborted exchange still in flight is out of order now: error and abort, no throw.
      if (step === 2 && aborter === 'alice') pending.push({ to: alice, tlv: t2! });
      if (step === 3 && aborter === 'bob') pending.push({ to: bob, tlv: t3! });
      for (const { to, tlv } of pending) {
        const res = to.handle(tlv);
        assert.equal(res.events[0]!.type, 'smp_error');
        assert.equal(res.reply!.type, TLV_SMP_ABORT);
      }
    }
  }
});

test('after an abort the same instances run a full exchange again', () => {
  const alice = new Smp();
  const bob = new Smp();
  bob.handle(alice.start(enc('x'), fpA, fpB, ssid));
  alice.handle(bob.abort());
  bob.handle(alice.start(enc('x'), fpA, fpB, ssid));
  const r3 = alice.handle(bob.respond(enc('x'), fpB, fpA, ssid));
  const r4 = bob.handle(r3.reply!);
  const r5 = alice.handle(r4.reply!);
  assert.equal(r4.events[0]!.type, 'smp_success');
  assert.equal(r5.events[0]!.type, 'smp_success');
});

test('every value of every message tampered in turn: cheated, abort sent, state reset', () => {
  // Re-run the protocol up to the tampered message for each case (fresh state each time).
  const cases: [string, number][] = [
    ...Array.from({ length: 6 }, (_, i) => ['SMP1', i] as [string, number]),
    ...Array.from({ length: 11 }, (_, i) => ['SMP2', i] as [string, number]),
    ...Array.from({ length: 8 }, (_, i) => ['SMP3', i] as [string, number]),
    ...Array.from({ length: 3 }, (_, i) => ['SMP4', i] as [string, number]),
  ];
  for (const [msg, index] of cases) {
    const alice = new Smp();
    const bob = new Smp();
    const tamper = (tlv: Tlv): Tlv => {
      const { values } = mpis(tlv);
      const v = values[index]!;
      // Stay inside the ranges that are checked, so that only the proof can catch it.
      const isD = (msg === 'SMP1' && (index === 2 || index === 5)) || (msg === 'SMP2' && [2, 5, 9, 10].includes(index))
        || (msg === 'SMP3' && [3, 4, 7].includes(index)) || (msg === 'SMP4' && index === 2);
      const isC = (msg === 'SMP1' && (index === 1 || index === 4)) || (msg === 'SMP2' && [1, 4, 8].includes(index))
        || (msg === 'SMP3' && [2, 6].includes(index)) || (msg === 'SMP4' && index === 1);
      values[index] = isD ? (v % (q - 1n)) + 1n : isC ? v ^ 1n : (v * 4n) % p;
      return withMpis(tlv, values);
    };
    const t1 = alice.start(enc('x'), fpA, fpB, ssid);
    let victim: Smp = bob;
    let res: { reply?: Tlv; events: SmpEvent[] };
    if (msg === 'SMP1') {
      res = bob.handle(tamper(t1));
    } else {
      bob.handle(t1);
      const t2 = bob.respond(enc('x'), fpB, fpA, ssid);
      if (msg === 'SMP2') {
        victim = alice;
        res = alice.handle(tamper(t2));
      } else {
        const t3 = alice.handle(t2).reply!;
        if (msg === 'SMP3') {
          res = bob.handle(tamper(t3));
        } else {
          const t4 = bob.handle(t3).reply!;
          victim = alice;
          res = alice.handle(tamper(t4));
        }
      }
    }
    assert.deepEqual(res.events, [{ type: 'smp_cheated' }], `${msg}[${index}]`);
    assert.equal(res.reply?.type, TLV_SMP_ABORT, `${msg}[${index}]`);
    assert.equal(victim.inProgress, false);
  }
});

test('out-of-range values are rejected as cheating before any proof is checked', () => {
  const alice = new Smp();
  const t1 = alice.start(enc('x'), fpA, fpB, ssid);
  const { values } = mpis(t1);
  for (const [i, bad] of [[0, 1n], [0, 0n], [0, p - 1n], [0, p], [3, p + 5n], [2, 0n], [2, q], [5, q + 1n]] as [number, bigint][]) {
    const v = [...values];
    v[i] = bad;
    assert.deepEqual(new Smp().handle(withMpis(t1, v)).events, [{ type: 'smp_cheated' }], `[${i}] = ${bad}`);
  }
  // An oversized c cannot be a hash: rejected without a modexp on it.
  const v = [...values];
  v[1] = 1n << 4000n;
  assert.deepEqual(new Smp().handle(withMpis(t1, v)).events, [{ type: 'smp_cheated' }]);
});

test('malformed TLVs: error event and abort, never a throw', () => {
  const alice = new Smp();
  const t1 = alice.start(enc('x'), fpA, fpB, ssid);
  const good = t1.value;
  const w = (count: number, ...ms: bigint[]) => {
    const x = new Writer().int(count);
    for (const m of ms) x.mpi(m);
    return x.bytes();
  };
  const bad: [string, Tlv][] = [
    ['empty', { type: TLV_SMP1, value: new Uint8Array(0) }],
    ['short count', { type: TLV_SMP1, value: Uint8Array.of(0, 0) }],
    ['truncated', { type: TLV_SMP1, value: good.subarray(0, good.length - 1) }],
    ['trailing byte', { type: TLV_SMP1, value: Uint8Array.of(...good, 0) }],
    ['count 5', { type: TLV_SMP1, value: w(5, 2n, 2n, 2n, 2n, 2n) }],
    ['count 7', { type: TLV_SMP1, value: w(7, 2n, 2n, 2n, 2n, 2n, 2n, 2n) }],
    ['count says 6, has 5', { type: TLV_SMP1, value: w(6, 2n, 2n, 2n, 2n, 2n) }],
    ['huge MPI length', { type: TLV_SMP1, value: Uint8Array.of(0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff) }],
    ['1Q without NUL', { type: TLV_SMP1Q, value: enc('question without end') }],
    ['1Q empty', { type: TLV_SMP1Q, value: new Uint8Array(0) }],
    ['1Q NUL last', { type: TLV_SMP1Q, value: enc('q\0') }],
  ];
  for (const [name, tlv] of bad) {
    const s = new Smp();
    const res = s.handle(tlv);
    assert.equal(res.events.length, 1, name);
    assert.equal(res.events[0]!.type, 'smp_error', name);
    assert.equal(res.reply?.type, TLV_SMP_ABORT, name);
    assert.equal(s.inProgress, false, name);
  }
  // Malformed SMP2..4 at the right step also end the exchange with an error.
  for (const type of [TLV_SMP2, TLV_SMP3, TLV_SMP4]) {
    const a = new Smp();
    const b = new Smp();
    b.handle(a.start(enc('x'), fpA, fpB, ssid));
    const t2 = b.respond(enc('x'), fpB, fpA, ssid);
    let target = a; // expect2
    if (type === TLV_SMP3) target = b; // expect3
    if (type === TLV_SMP4) a.handle(t2); // Alice now expects 4
    const res = target.handle({ type, value: w(1, 5n) });
    assert.equal(res.events[0]!.type, 'smp_error', `type ${type}`);
    assert.equal(res.reply?.type, TLV_SMP_ABORT);
    assert.equal(target.inProgress, false);
  }
});

test('out-of-order messages: error event, abort, reset (spec and libotr)', () => {
  // Bob in expect1 receives SMP2/3/4; Alice in expect2 receives SMP1/3/4; and so on.
  const alice = new Smp();
  const t1 = alice.start(enc('x'), fpA, fpB, ssid);
  const bob = new Smp();
  bob.handle(t1);
  const t2 = bob.respond(enc('x'), fpB, fpA, ssid);
  const t3 = alice.handle(t2).reply!;
  const t4 = bob.handle(t3).reply!;
  const idle = () => new Smp();
  const cases: [string, () => Smp, Tlv][] = [
    ['SMP2 while idle', idle, t2],
    ['SMP3 while idle', idle, t3],
    ['SMP4 while idle', idle, t4],
    ['SMP1 while expecting 2', () => { const s = new Smp(); s.start(enc('x'), fpA, fpB, ssid); return s; }, t1],
    ['SMP3 while expecting 2', () => { const s = new Smp(); s.start(enc('x'), fpA, fpB, ssid); return s; }, t3],
    ['SMP2 while asked', () => { const s = new Smp(); s.handle(t1); return s; }, t2],
    ['SMP4 while asked', () => { const s = new Smp(); s.handle(t1); return s; }, t4],
  ];
  for (const [name, make, tlv] of cases) {
    const s = make();
    const res = s.handle(tlv);
    assert.equal(res.events[0]!.type, 'smp_error', name);
    assert.equal(res.reply?.type, TLV_SMP_ABORT, name);
    assert.equal(s.inProgress, false, name);
  }
  // Replaying the finished exchange's last message to a finished party: error, no throw.
  assert.equal(alice.handle(t4).events[0]!.type, 'smp_success');
  assert.equal(alice.handle(t4).events[0]!.type, 'smp_error');
});

test('a new SMP1 while waiting for the secret replaces the pending one (libotr)', () => {
  const bob = new Smp();
  bob.handle(new Smp().start(enc('old'), fpA, fpB, ssid, 'old?'));
  const alice = new Smp();
  const res = bob.handle(alice.start(enc('new'), fpA, fpB, ssid));
  assert.deepEqual(res.events, [{ type: 'smp_asked' }]);
  const r3 = alice.handle(bob.respond(enc('new'), fpB, fpA, ssid));
  const r4 = bob.handle(r3.reply!);
  assert.deepEqual(r4.events, [{ type: 'smp_success', fingerprint: '', updatesTrust: true }]);
});

test('respond() without a pending question is a programming error; other TLV types are ignored', () => {
  assert.throws(() => new Smp().respond(enc('x'), fpB, fpA, ssid), /no SMP question/);
  assert.deepEqual(new Smp().handle({ type: 0, value: new Uint8Array(3) }), { events: [] });
  assert.deepEqual(new Smp().handle({ type: 8, value: new Uint8Array(4) }), { events: [] });
  assert.deepEqual(new Smp().handle({ type: TLV_SMP_ABORT, value: new Uint8Array(0) }), { events: [{ type: 'smp_aborted', byPeer: true, wasUnderWay: false }] });
});

test('property: the outcome is success exactly when the secrets are equal (both sides agree)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 24 }),
      fc.option(fc.uint8Array({ maxLength: 24 }), { nil: undefined }),
      fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      (x, other, question) => {
        const y = other ?? x;
        const alice = new Smp();
        const bob = new Smp();
        bob.handle(alice.start(x, fpA, fpB, ssid, question));
        const r4 = bob.handle(alice.handle(bob.respond(y, fpB, fpA, ssid)).reply!);
        const r5 = alice.handle(r4.reply!);
        const expected = Buffer.from(x).equals(Buffer.from(y)) ? 'smp_success' : 'smp_failure';
        assert.equal(r4.events[0]!.type, expected);
        assert.equal(r5.events[0]!.type, expected);
      },
    ),
    { numRuns: 12 },
  );
});
