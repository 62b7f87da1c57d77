// Our engine against real libotr beyond the matrix: REQUIRE_ENCRYPTION on either side (queue, AKE,
// send once secure), two libotr instances of one peer (v3 instance tags), and the extra symmetric key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY_ALWAYS, POLICY_OPPORTUNISTIC, type OtrEvent } from '../../src/otr/api.ts';
import { OtrAccount } from '../../src/otr/index.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';
import { LibotrPeer, LIBOTR_POLICY as P, settle } from './libotr-peer.ts';
import { libotrAndOurKey, sharedLibotrKey } from './keys.ts';
import { Bridge } from './bridge.ts';

let lib: LibotrPeer;
let ourKey: DsaPrivateKey;

before(async () => {
  ({ lib, ourKey } = await libotrAndOurKey());
});

after(async () => {
  await lib?.close();
});

test('REQUIRE_ENCRYPTION on our side: the message waits for the AKE and reaches libotr encrypted only', async () => {
  const b = new Bridge(lib, { ourName: 'ours-always', key: ourKey, policy: { ...POLICY_ALWAYS } });
  try {
    assert.deepEqual(b.session.send('written before the AKE'), { kind: 'queued' });
    assert.match(b.sent[0]!, /^\?OTRv23\?/);
    const m = await lib.nextEv('message', (e) => e.from === b.ourName);
    assert.deepEqual([m.text, m.encrypted], ['written before the AKE', true]);
    assert.deepEqual(b.ours('queued_sent'), [{ type: 'queued_sent', count: 1 }]);
    assert.ok(b.sent.every((w) => !w.includes('written before')), 'never on the wire in clear');
  } finally {
    await b.close();
  }
});

test('REQUIRE_ENCRYPTION in libotr: libotr queries, goes secure with us and resends its message', async () => {
  const b = new Bridge(lib, { ourName: 'ours-lib-always', key: ourKey, policy: { ...POLICY_OPPORTUNISTIC } });
  try {
    await lib.setPolicy(P.ALWAYS, b.ourName);
    await lib.send(b.ourName, 'libotr wrote this first');
    await b.settle();
    assert.equal(b.session.state, 'encrypted');
    assert.deepEqual(b.received.map((r) => [r.text, r.encrypted]), [['libotr wrote this first', true]]);
    assert.ok(b.got.every((w) => !w.includes('libotr wrote')), 'libotr never sent it in clear');
    assert.ok(lib.take((e) => e.ev === 'msg_event' && e.peer === b.ourName && e.event === 'MSG_RESENT').length <= 1);
  } finally {
    await b.close();
  }
});

test('two libotr instances of one peer: both AKEs complete, each instance is read, replies go to the latest', async () => {
  // One account, one key, two clients (two instance tags).
  const libKey = await sharedLibotrKey('multi');
  const [one, two] = await Promise.all([
    LibotrPeer.start({ account: 'multi', privkey: libKey }),
    LibotrPeer.start({ account: 'multi', privkey: libKey }),
  ]);
  try {
    assert.notEqual(one.instag, two.instag);
    const events: OtrEvent[] = [];
    const received: string[] = [];
    const account = new OtrAccount({ name: 'ours-multi', protocol: 'irc', privateKey: ourKey });
    const session = account.createSession('multi', {
      // Both clients of "multi" see every line sent to the nick.
      inject: (w) => { for (const p of [one, two]) void p.receive('ours-multi', w).catch(() => {}); },
      event: (e) => events.push(e),
      maxMessageSize: () => 0,
    });
    for (const p of [one, two]) {
      p.onWire = (_to, w) => {
        const r = session.receive(w);
        if (r.kind === 'message') received.push(r.text);
      };
    }
    session.startAke();
    await settle(one, two);
    const secure = events.filter((e): e is Extract<OtrEvent, { type: 'gone_secure' }> => e.type === 'gone_secure');
    assert.deepEqual(secure.map((e) => e.instance).sort(), [one.instag, two.instag].sort());
    for (const p of [one, two]) {
      const s = await p.state('ours-multi');
      assert.equal(s.msgstate, 'encrypted');
      assert.equal(s.their_instance, account.instanceTag);
    }
    await one.send('ours-multi', 'from the first client');
    await two.send('ours-multi', 'from the second client');
    assert.deepEqual(received, ['from the first client', 'from the second client']);
    // libotr's OTRL_INSTAG_BEST among equals is the most recent: the second client.
    assert.deepEqual(session.send('reply'), { kind: 'sent', encrypted: true });
    await settle(one, two);
    assert.deepEqual(two.take((e) => e.ev === 'message').map((e) => (e as { text: string }).text), ['reply']);
    assert.deepEqual(one.take((e) => e.ev === 'message'), [], 'the other instance cannot read it');
    assert.deepEqual(events.filter((e) => e.type === 'malformed' || e.type === 'unreadable'), []);
    session.dispose();
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

test('extra symmetric key (TLV 8): libotr and we derive the same key in both directions', async () => {
  const b = new Bridge(lib, { ourName: 'ours-symkey', key: ourKey, policy: { ...POLICY_OPPORTUNISTIC } });
  try {
    b.session.startAke();
    await b.settle();
    assert.equal(b.session.state, 'encrypted');
    const libKey = await lib.symkey(b.ourName, 7, 'c0ffee');
    await b.settle();
    const got = b.ours('received_symkey');
    assert.equal(got.length, 1);
    assert.equal(got[0]!.use, 7);
    assert.equal(Buffer.from(got[0]!.useData).toString('hex'), 'c0ffee');
    assert.equal(Buffer.from(got[0]!.key).toString('hex'), libKey);

    const ours = b.session.extraSymmetricKey(9, Uint8Array.from([1, 2, 3]));
    assert.ok(ours);
    const e = await lib.nextEv('received_symkey', (x) => x.peer === b.ourName);
    assert.deepEqual([e.use, e.usedata, e.key], [9, '010203', Buffer.from(ours).toString('hex')]);
    assert.equal(libKey.length, 64);
  } finally {
    await b.close();
  }
});

test('heartbeats: after 60 s of silence each side answers a message with a heartbeat the other accepts', async () => {
  let offsetMs = 0;
  const b = new Bridge(lib, { ourName: 'ours-heartbeat', key: ourKey, policy: { ...POLICY_OPPORTUNISTIC }, now: () => Date.now() + offsetMs });
  try {
    b.session.startAke();
    await b.settle();
    assert.equal(b.session.state, 'encrypted');
    // libotr's clock jumps: its next receive finds its last send (the AKE) over 60 s old.
    await lib.advanceClock(61);
    b.session.send('are you there?');
    const hb = await lib.nextEv('msg_event', (e) => e.peer === b.ourName && e.event === 'LOG_HEARTBEAT_SENT');
    assert.ok(hb);
    await b.settle();
    assert.equal(b.received.length, 0, 'the heartbeat shows nothing to the user');
    assert.deepEqual(b.events.filter((e) => e.type === 'malformed' || e.type === 'unreadable'), []);
    // Our clock jumps: our reply to libotr's next message is a heartbeat, and libotr logs it as one.
    offsetMs = 61_000;
    await lib.send(b.ourName, 'yes');
    assert.deepEqual(b.received.map((r) => r.text), ['yes']);
    assert.equal(b.ours('heartbeat_sent').length, 1);
    await lib.nextEv('msg_event', (e) => e.peer === b.ourName && e.event === 'LOG_HEARTBEAT_RCVD');
    assert.deepEqual(lib.take((e) => e.ev === 'message' && e.from === b.ourName).map((e) => (e as { text: string }).text), ['are you there?']);
  } finally {
    await b.close();
  }
});

test('a message queued for a known peer is not released to an impostor who completes the AKE', async () => {
  // "mallory" answers as "lib" (same name) with another key, as a man in the middle would.
  const dir = mkdtempSync(join(tmpdir(), 'otr-mitm-'));
  const mallory = await LibotrPeer.start({ account: 'lib', genkey: join(dir, 'mallory.key') });
  try {
    assert.notEqual(mallory.fingerprint, lib.fingerprint);
    const b = new Bridge(mallory, {
      ourName: 'ours-mitm', key: ourKey, policy: { ...POLICY_ALWAYS },
      fingerprints: [{ peer: 'lib', fingerprint: lib.fingerprint!, trust: 'verified' }],
    });
    assert.deepEqual(b.session.send('only for the real lib'), { kind: 'queued' });
    await b.settle();
    assert.equal(b.session.state, 'encrypted');
    assert.equal(b.session.activeFingerprint, mallory.fingerprint);
    assert.deepEqual(b.ours('queued_dropped'), [{ type: 'queued_dropped', count: 1, reason: 'fingerprint_mismatch' }]);
    assert.deepEqual(b.ours('queued_sent'), []);
    assert.deepEqual(b.ours('gone_secure').map((e) => e.trusted), [false]);
    assert.deepEqual(mallory.take((e) => e.ev === 'message'), [], 'the impostor got nothing');
    await b.close();
  } finally {
    await mallory.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('libotr queries again while our instance waits for its Signature: the new commit is answered, the AKE completes', async () => {
  // An irssi-otr peer without a key yet drops our Reveal Signature (libotr cannot sign it) and queries
  // again once its key is made; its libotr then answers our new DH-Commit with the DH-Key it sent before
  // (the spec's retransmission in AUTHSTATE_AWAITING_REVEALSIG). libotr copies the master's new commit
  // into any instance not itself waiting for a DH-Key; an instance that instead took the DH-Key as a
  // duplicate and resent its old Reveal Signature would never be verified, whatever libotr retries.
  let lose = true;
  const b = new Bridge(lib, {
    ourName: 'ours-lost-revealsig', key: ourKey, policy: { ...POLICY_OPPORTUNISTIC },
    deliverToLibotr: (wire) => !(lose && wire.startsWith('?OTR:AAMR')),
  });
  try {
    await lib.query(b.ourName);
    await b.settle();
    assert.equal(b.sent.filter((w) => w.startsWith('?OTR:AAMR')).length, 1, 'our Reveal Signature was sent (and lost)');
    assert.notEqual(b.session.state, 'encrypted');
    lose = false;
    await lib.query(b.ourName);
    await b.settle();
    assert.equal(b.session.state, 'encrypted', JSON.stringify(b.events));
    assert.equal((await lib.state(b.ourName)).msgstate, 'encrypted');
    const revealSigs = b.sent.filter((w) => w.startsWith('?OTR:AAMR'));
    assert.equal(revealSigs.length, 2);
    assert.notEqual(revealSigs[1], revealSigs[0], 'a Reveal Signature for the new commit, not the lost one again');
  } finally {
    await b.close();
  }
});
