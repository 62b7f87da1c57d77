import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliver, makeSide, pump, testKeys, texts, eventTypes, type Side } from './testing/pair.ts';

async function secure(version: 2 | 3, start: 'query' | 'whitespace' | 'error' = 'query'): Promise<[Side, Side]> {
  const [ka, kb] = await testKeys();
  const pol = version === 2 ? { allowV3: false } : {};
  const a = makeSide('alice', 'bob', ka, pol);
  const b = makeSide('bob', 'alice', kb);
  if (start === 'query') a.session.startAke();
  else if (start === 'whitespace') a.session.send('hello there');
  else a.outbox.push('?OTR Error: something broke');
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(b.session.state, 'encrypted');
  assert.equal(a.session.version, version);
  return [a, b];
}

for (const version of [2, 3] as const) {
  for (const start of ['query', 'whitespace', 'error'] as const) {
    test(`v${version} AKE started by ${start}, then messages both ways`, async () => {
      const [a, b] = await secure(version, start);
      assert.equal(a.session.activeFingerprint, b.account.fingerprint);
      assert.equal(b.session.activeFingerprint, a.account.fingerprint);
      const ga = a.events.find((e) => e.type === 'gone_secure');
      assert.ok(ga && ga.type === 'gone_secure' && ga.version === version && !ga.trusted);
      if (version === 3) assert.equal(ga.instance, b.account.instanceTag);
      assert.ok(eventTypes(a).includes('new_fingerprint'));
      const r1 = a.session.send('hi bob');
      assert.deepEqual(r1, { kind: 'sent', encrypted: true });
      assert.ok(a.outbox[0]!.startsWith(version === 3 ? '?OTR:AAMD' : '?OTR:AAID'));
      pump(a, b);
      b.session.send('hi alice');
      pump(a, b);
      assert.ok(texts(b).includes('hi bob'));
      assert.ok(texts(a).includes('hi alice'));
    });
  }
}

test('v3: sessionId halves differ between roles and ssids match', async () => {
  const [a, b] = await secure(3);
  const sa = a.session.sessionId!;
  const sb = b.session.sessionId!;
  assert.deepEqual(sa.ssid, sb.ssid);
  assert.notEqual(sa.boldHalf, sb.boldHalf);
});

test('rotation over many messages, both directions and one-way bursts, with MAC keys revealed', async () => {
  const [a, b] = await secure(3);
  for (let i = 0; i < 200; i++) {
    a.session.send(`a${i}`);
    if (i % 3 === 0) pump(a, b);
    b.session.send(`b${i}`);
    if (i % 5 === 0) pump(a, b);
  }
  pump(a, b);
  const ta = texts(a).filter((t) => t.startsWith('b'));
  const tb = texts(b).filter((t) => t.startsWith('a'));
  assert.equal(tb.length, 200);
  assert.equal(ta.length, 200);
  assert.deepEqual(tb, Array.from({ length: 200 }, (_, i) => `a${i}`));
  assert.ok(!eventTypes(a).includes('unreadable') && !eventTypes(b).includes('unreadable'));
});

test('ping-pong costs 3 modexps per message for the data keys', async () => {
  const [a, b] = await secure(3);
  a.session.send('x');
  pump(a, b);
  b.session.send('y');
  pump(a, b);
  const before = a.session.dataModexps + b.session.dataModexps;
  for (let i = 0; i < 20; i++) {
    a.session.send('ping');
    pump(a, b);
    b.session.send('pong');
    pump(a, b);
  }
  const per = (a.session.dataModexps + b.session.dataModexps - before) / 40;
  assert.ok(per <= 3, `modexps per message ${per}`);
});

test('replayed data message is unreadable and not shown again', async () => {
  const [a, b] = await secure(3);
  a.session.send('once');
  const wire = a.outbox[0]!;
  pump(a, b);
  b.events.length = 0;
  const r = b.session.receive(wire);
  assert.deepEqual(r, { kind: 'internal' });
  assert.ok(eventTypes(b).includes('unreadable'));
  assert.ok(b.outbox.some((w) => w.startsWith('?OTR Error:')));
});

test('finish: peer goes finished, its send is refused and never reaches the wire', async () => {
  const [a, b] = await secure(3);
  a.session.finish();
  assert.equal(a.session.state, 'plaintext');
  pump(a, b);
  assert.equal(b.session.state, 'finished');
  assert.ok(b.events.some((e) => e.type === 'gone_insecure' && e.reason === 'peer_finished'));
  const r = b.session.send('secret stuff');
  assert.deepEqual(r, { kind: 'refused', reason: 'finished' });
  assert.equal(b.outbox.length, 0);
  b.session.finish();
  assert.equal(b.session.state, 'plaintext');
});

test('an unauthenticated ?OTR Error: does not end an encrypted session', async () => {
  const [a, b] = await secure(3);
  b.session.receive('?OTR Error: fake');
  assert.equal(b.session.state, 'encrypted');
  assert.ok(b.events.some((e) => e.type === 'error_from_peer' && e.message === 'fake'));
});

test('plaintext while encrypted is flagged', async () => {
  const [a, b] = await secure(3);
  const r = b.session.receive('sneaky');
  assert.deepEqual(r, { kind: 'message', text: 'sneaky', encrypted: false });
  assert.ok(eventTypes(b).includes('received_unencrypted'));
});

test('re-key with the same peer: still_secure, messages keep flowing', async () => {
  const [a, b] = await secure(3);
  a.session.startAke();
  pump(a, b);
  assert.ok(eventTypes(a).includes('still_secure'));
  assert.equal(a.session.state, 'encrypted');
  a.session.send('after rekey');
  pump(a, b);
  assert.ok(texts(b).includes('after rekey'));
});

test('REQUIRE_ENCRYPTION queues, starts the AKE and sends once secure', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka, { requireEncryption: true });
  const b = makeSide('bob', 'alice', kb);
  assert.deepEqual(a.session.send('for bob only'), { kind: 'queued' });
  assert.ok(a.outbox[0]!.startsWith('?OTRv23?'));
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.deepEqual(texts(b), ['for bob only']);
  assert.ok(eventTypes(a).includes('queued_sent'));
});

test('REQUIRE_ENCRYPTION: a queued message is NOT released to a different fingerprint', async () => {
  const [ka, kb, km] = await testKeys();
  const a = makeSide('alice', 'bob', ka, { requireEncryption: true });
  const b = makeSide('bob', 'alice', kb);
  a.session.startAke();
  pump(a, b);
  a.session.finish();
  pump(a, b);
  b.session.finish();
  // Alice writes for bob's fingerprint; mallory answers the AKE.
  assert.deepEqual(a.session.send('for bob only'), { kind: 'queued' });
  const m = makeSide('bob', 'alice', km);
  a.outbox.length = 0;
  a.session.startAke();
  pump(a, m);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(a.session.activeFingerprint, m.account.fingerprint);
  assert.deepEqual(texts(m), []);
  assert.ok(a.events.some((e) => e.type === 'queued_dropped' && e.reason === 'fingerprint_mismatch'));
  assert.ok(a.events.some((e) => e.type === 'gone_secure' && e.fingerprint === m.account.fingerprint));
});

test('REQUIRE_ENCRYPTION with a known fingerprint: not released to an unknown one at first contact', async () => {
  const [ka, kb, km] = await testKeys();
  const b = makeSide('bob', 'alice', kb);
  const a = makeSide('alice', 'bob', ka, { requireEncryption: true });
  a.account.addFingerprint('bob', b.account.fingerprint!);
  a.session.send('hello');
  const m = makeSide('bob', 'alice', km);
  pump(a, m);
  assert.deepEqual(texts(m), []);
  assert.ok(a.events.some((e) => e.type === 'queued_dropped'));
});

test('simultaneous v3 start (collision) converges', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  a.session.startAke();
  b.session.startAke();
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(b.session.state, 'encrypted');
  a.session.send('x');
  b.session.send('y');
  pump(a, b);
  assert.ok(texts(b).includes('x') && texts(a).includes('y'));
});

test('simultaneous v2 start (collision) converges', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka, { allowV3: false });
  const b = makeSide('bob', 'alice', kb, { allowV3: false });
  a.session.startAke();
  b.session.startAke();
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(b.session.state, 'encrypted');
});

test('whitespace tag: offered once, stripped, and rejected offer stops tagging', async () => {
  const [ka] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  a.session.send('one');
  assert.ok(a.outbox[0]!.startsWith('one \t  \t\t\t\t \t \t \t  '));
  a.session.receive('plain reply');
  a.session.send('two');
  assert.equal(a.outbox[1], 'two');
});

test('v3 multiple instances of one peer: each gets its own session, messages go to the best', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b1 = makeSide('bob', 'alice', kb);
  const b2 = makeSide('bob', 'alice', kb);
  // b1 and b2 both answer alice's query.
  a.session.startAke();
  const q = a.outbox.shift()!;
  for (const line of q.split('\n')) {
    b1.session.receive(line);
    b2.session.receive(line);
  }
  // Deliver both peers' commits to alice; alice answers each instance.
  const fanOut = () => {
    for (const w of a.outbox.splice(0)) {
      deliver(w, b1);
      deliver(w, b2);
    }
    for (const w of b1.outbox.splice(0)) deliver(w, a);
    for (const w of b2.outbox.splice(0)) deliver(w, a);
  };
  for (let i = 0; i < 6; i++) fanOut();
  assert.equal(b1.session.state, 'encrypted');
  assert.equal(b2.session.state, 'encrypted');
  assert.equal(a.events.filter((e) => e.type === 'gone_secure').length, 2);
  a.session.send('to the latest');
  fanOut();
  const got = [...texts(b1), ...texts(b2)].filter((t) => t === 'to the latest');
  assert.equal(got.length, 1);
  assert.ok(b1.events.concat(b2.events).some((e) => e.type === 'message_for_other_instance'));
});

test('fragments out and in: a 2000-byte message at 400 bytes', async () => {
  const [a, b] = await secure(3);
  a.maxSize = 400;
  b.maxSize = 400;
  const big = 'x'.repeat(2000);
  a.session.send(big);
  assert.ok(a.outbox.length > 1 && a.outbox.every((w) => w.length <= 400));
  pump(a, b);
  assert.ok(texts(b).includes(big));
});

test('heartbeat after 60 s of silence, as libotr', async () => {
  const [ka, kb] = await testKeys();
  let now = 1_000_000;
  const a = makeSide('alice', 'bob', ka, {}, () => now);
  const b = makeSide('bob', 'alice', kb, {}, () => now);
  a.session.startAke();
  pump(a, b);
  a.session.send('hello');
  pump(a, b);
  now += 61_000;
  a.session.send('still there?');
  a.events.length = b.events.length = 0;
  pump(a, b);
  assert.ok(eventTypes(b).includes('heartbeat_sent'));
  assert.ok(!texts(a).includes(''));
});

test('extra symmetric key (TLV 8): both sides get the same key', async () => {
  const [a, b] = await secure(3);
  const key = a.session.extraSymmetricKey(7, new Uint8Array([1, 2]))!;
  pump(a, b);
  const ev = b.events.find((e) => e.type === 'received_symkey');
  assert.ok(ev && ev.type === 'received_symkey');
  assert.equal(ev.use, 7);
  assert.deepEqual(ev.useData, new Uint8Array([1, 2]));
  assert.deepEqual(ev.key, key);
});

test('dispose wipes and refuses', async () => {
  const [a] = await secure(3);
  a.session.dispose();
  assert.deepEqual(a.session.send('x'), { kind: 'refused', reason: 'no_session' });
});

test('tick forgets an unanswered v3 commit after 60 s', async () => {
  const [ka] = await testKeys();
  let now = 5_000_000;
  const a = makeSide('alice', 'bob', ka, {}, () => now);
  const [, kb] = await testKeys();
  const b = makeSide('bob', 'alice', kb, {}, () => now);
  a.session.receive('?OTRv3?');
  assert.equal(a.outbox.length, 1);
  for (const w of a.outbox.splice(0)) b.session.receive(w);
  const dhKey = b.outbox.shift()!;
  a.session.tick(now + 30_000);
  assert.equal(a.session['master'].ake.state, 'awaiting_dhkey');
  a.session.tick(now + 61_000);
  // A DH-Key arriving now finds nothing to answer.
  a.session.receive(dhKey);
  assert.deepEqual(a.outbox, []);
  assert.equal(a.session.state, 'plaintext');
});

test('re-keys started from either side, back to back, keep the session and its messages', async () => {
  const [a, b] = await secure(3);
  b.session.startAke();
  pump(a, b);
  a.session.startAke();
  pump(a, b);
  b.session.startAke();
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(b.session.state, 'encrypted');
  assert.ok(eventTypes(a).filter((t) => t === 'still_secure').length >= 3);
  a.session.send('after three re-keys');
  b.session.send('and back');
  pump(a, b);
  assert.ok(texts(b).includes('after three re-keys') && texts(a).includes('and back'));
});

test('v3 and v2 policies: a v2-only peer gets v2, a v3 message is ignored by a v2-only session', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb, { allowV3: false });
  a.session.startAke();
  pump(a, b);
  assert.equal(a.session.version, 2);
  const c = makeSide('carol', 'alice', kb, { allowV3: false });
  const r = c.session.receive('?OTR:AAMDAAABAAAAAQAB.');
  assert.deepEqual(r, { kind: 'internal' });
});

test('OTR disabled (no version allowed): text passes through untouched', async () => {
  const [ka] = await testKeys();
  const a = makeSide('alice', 'bob', ka, { allowV2: false, allowV3: false });
  assert.deepEqual(a.session.send('x'), { kind: 'sent', encrypted: false });
  assert.equal(a.outbox[0], 'x');
  assert.deepEqual(a.session.receive('?OTRv23?'), { kind: 'message', text: '?OTRv23?', encrypted: false });
});

test('data message while not encrypted: unreadable event, no error sent (libotr), IGNORE_UNREADABLE silent', async () => {
  const [a, b] = await secure(3);
  a.session.send('lost');
  const wire = a.outbox.shift()!;
  b.session.finish();
  b.outbox.length = 0;
  b.events.length = 0;
  b.session.receive(wire);
  assert.ok(eventTypes(b).includes('unreadable'));
  assert.equal(b.outbox.length, 0);
});

function smpResult(s: Side): string | undefined {
  return s.events.map((e) => e.type).find((t) => t === 'smp_success' || t === 'smp_failure' || t === 'smp_cheated');
}

test('SMP with a question and the right secret: both succeed, the asker trusts', async () => {
  const [a, b] = await secure(3);
  a.session.smpStart('our secret', 'where did we meet?');
  assert.equal(a.session.smpInProgress, true);
  pump(a, b);
  assert.deepEqual(b.session.smpPending, { question: 'where did we meet?' });
  b.session.smpRespond('our secret');
  pump(a, b);
  assert.equal(smpResult(a), 'smp_success');
  assert.equal(smpResult(b), 'smp_success');
  assert.equal(a.account.trustOf('bob', b.account.fingerprint!), 'smp');
  assert.equal(b.account.trustOf('alice', a.account.fingerprint!), '');
  const ev = a.events.find((e) => e.type === 'smp_success');
  assert.ok(ev && ev.type === 'smp_success' && ev.fingerprint === b.account.fingerprint);
  assert.equal(a.session.smpInProgress, false);
});

test('SMP without a question: both sides trust on success; a wrong secret fails on both', async () => {
  const [a, b] = await secure(2);
  a.session.smpStart('same');
  pump(a, b);
  assert.deepEqual(b.session.smpPending, {});
  b.session.smpRespond('same');
  pump(a, b);
  assert.equal(b.account.trustOf('alice', a.account.fingerprint!), 'smp');
  a.events.length = b.events.length = 0;
  b.session.smpStart('one');
  pump(a, b);
  a.session.smpRespond('two');
  pump(a, b);
  assert.equal(smpResult(a), 'smp_failure');
  assert.equal(smpResult(b), 'smp_failure');
  assert.equal(b.account.trustOf('alice', a.account.fingerprint!), '');
  // The event says whether trust was taken away: it was on both sides now, and is on neither next time.
  const failure = (s: typeof a) => s.events.find((e) => e.type === 'smp_failure');
  assert.deepEqual([failure(a), failure(b)].map((e) => e && 'trustDropped' in e && e.trustDropped), [true, true]);
  a.events.length = b.events.length = 0;
  b.session.smpStart('one');
  pump(a, b);
  a.session.smpRespond('two');
  pump(a, b);
  assert.deepEqual([failure(a), failure(b)].map((e) => e && 'trustDropped' in e && e.trustDropped), [false, false]);
});

test('SMP aborted by either side reaches the other; a restart while in progress works', async () => {
  const [a, b] = await secure(3);
  a.session.smpStart('x');
  pump(a, b);
  b.session.smpAbort();
  pump(a, b);
  assert.ok(a.events.some((e) => e.type === 'smp_aborted' && e.byPeer));
  assert.equal(a.session.smpInProgress, false);
  a.session.smpStart('y');
  pump(a, b);
  a.session.smpStart('z'); // restart
  pump(a, b);
  b.session.smpRespond('z');
  pump(a, b);
  assert.equal(smpResult(a), 'smp_success');
});

test('SMP refused outside an encrypted session', async () => {
  const [ka] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  a.session.smpStart('x');
  assert.ok(a.events.some((e) => e.type === 'smp_error'));
  assert.equal(a.outbox.length, 0);
});

test('no private key yet: the AKE waits and resumes when the key is set', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', undefined);
  const b = makeSide('bob', 'alice', kb);
  a.session.startAke();
  assert.ok(eventTypes(a).includes('no_private_key'));
  pump(a, b);
  assert.equal(a.session.state, 'plaintext');
  a.account.privateKey = ka;
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  assert.equal(b.session.state, 'encrypted');
  assert.equal(b.session.activeFingerprint, a.account.fingerprint);
});

test('a stray "?OTR…" line from a plain user is shown, never swallowed (ZNC otr bug B3)', async () => {
  const [ka] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  assert.deepEqual(a.session.receive('?OTRbla bla'), { kind: 'message', text: '?OTRbla bla', encrypted: false });
  assert.deepEqual(a.session.receive('next line'), { kind: 'message', text: 'next line', encrypted: false });
  assert.deepEqual(a.session.receive('?OTR Error: no final dot'), { kind: 'internal' });
  assert.deepEqual(a.session.receive('after'), { kind: 'message', text: 'after', encrypted: false });
});

test('peerDisconnected: an encrypted session becomes finished, sends are refused', async () => {
  const [a, b] = await secure(3);
  b.session.peerDisconnected();
  assert.equal(b.session.state, 'finished');
  assert.ok(b.events.some((e) => e.type === 'gone_insecure' && e.reason === 'peer_disconnected'));
  b.outbox.length = 0;
  assert.deepEqual(b.session.send('x'), { kind: 'refused', reason: 'finished' });
  assert.equal(b.outbox.length, 0);
  void a;
});

test('a flood of v3 commits from fake instances neither grows without bound nor blocks a real instance', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  // Commits from 100 made-up instance tags (genuine commits from b, re-tagged).
  for (let i = 0; i < 100; i++) {
    const fake = makeSide('bob', 'alice', kb);
    fake.session.receive('?OTRv3?');
    a.session.receive(fake.outbox[0]!);
  }
  assert.ok(a.session['instances'].size <= 32);
  a.outbox.length = 0;
  a.session.startAke();
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
});

test('v2 fragments (?OTR,k,n,) out and in; v3 fragments for another instance are dropped', async () => {
  const [a, b] = await secure(2);
  a.maxSize = 300;
  const big = 'z'.repeat(1500);
  a.session.send(big);
  assert.ok(a.outbox.length > 1 && a.outbox.every((w) => w.startsWith('?OTR,') && w.length <= 300));
  pump(a, b);
  assert.ok(texts(b).includes(big));
  const [c, d] = await secure(3);
  c.maxSize = 300;
  c.session.send(big);
  const frags = c.outbox.splice(0);
  // Re-address the fragments to another receiver instance.
  const other = frags.map((f) => f.replace(/^(\?OTR\|[0-9a-f]{8}\|)[0-9a-f]{8}/, '$1' + '00000999'));
  d.events.length = 0;
  for (const f of other) d.session.receive(f);
  assert.deepEqual(texts(d).filter((t) => t === big), []);
  assert.ok(eventTypes(d).includes('message_for_other_instance'));
});

test('a typed "?OTR?" is sent as our query message (libotr), in any state', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  assert.deepEqual(a.session.send('?OTR?'), { kind: 'sent', encrypted: false });
  assert.ok(a.outbox[0]!.startsWith('?OTRv23?\n'));
  pump(a, b);
  assert.equal(a.session.state, 'encrypted');
  a.session.send('?OTRv3?');
  assert.ok(a.outbox[0]!.startsWith('?OTRv23?'));
});

test('IGNORE_UNREADABLE: a tampered flagged message is dropped silently, an unflagged one gets an error', async () => {
  const [a, b] = await secure(3);
  a.session.smpStart('x'); // SMP messages carry the flag
  const flagged = a.outbox.shift()!;
  a.session.send('plain text message');
  const normal = a.outbox.shift()!;
  const tamper = (w: string) => {
    const bytes = Buffer.from(w.slice(5, -1), 'base64');
    bytes[bytes.length - 30]! ^= 1;
    return `?OTR:${bytes.toString('base64')}.`;
  };
  b.events.length = 0;
  b.outbox.length = 0;
  assert.deepEqual(b.session.receive(tamper(flagged)), { kind: 'internal' });
  assert.deepEqual(b.events, []);
  assert.deepEqual(b.outbox, []);
  assert.deepEqual(b.session.receive(tamper(normal)), { kind: 'internal' });
  assert.ok(eventTypes(b).includes('unreadable'));
  assert.deepEqual(b.outbox, ['?OTR Error: You transmitted an unreadable encrypted message.']);
  assert.equal(b.session.state, 'encrypted');
});

for (const version of [2, 3] as const) {
  test(`v${version}: akeInProgress from our first AKE message until the session is up, not after, and not past MAX_AKE_WAIT`, async () => {
    const [ka, kb] = await testKeys();
    let now = 1_000_000;
    const pol = version === 2 ? { allowV3: false } : {};
    const a = makeSide('alice', 'bob', ka, pol, () => now);
    const b = makeSide('bob', 'alice', kb, {}, () => now);
    assert.equal(b.session.akeInProgress, false);
    a.session.startAke();
    deliver(a.outbox.shift()!, b); // the query: bob answers with a DH-Commit
    assert.equal(b.session.akeInProgress, true, 'bob sent a DH-Commit');
    deliver(b.outbox.shift()!, a); // alice answers with a DH-Key
    assert.equal(a.session.akeInProgress, true, 'alice sent a DH-Key');
    deliver(a.outbox.shift()!, b); // bob sends his Reveal Signature
    assert.equal(b.session.akeInProgress, true, 'bob waits for the Signature');
    now += 60_001;
    assert.equal(b.session.akeInProgress, false, 'an AKE silent for MAX_AKE_WAIT is no longer under way');
    now -= 60_001;
    pump(a, b);
    assert.equal(a.session.state, 'encrypted');
    assert.equal(b.session.state, 'encrypted');
    assert.equal(a.session.akeInProgress, false);
    assert.equal(b.session.akeInProgress, false, "the master's answered commit does not count");
  });
}
