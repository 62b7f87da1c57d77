// Our engine against real libotr 4.1.1, the matrix:
// {v2, v3} × {we start, libotr starts} × {query, whitespace tag, error message}, each with
// AKE; 200 messages each way with key rotation; a 2000-byte message fragmented at 400 bytes both ways;
// SMP right secret, wrong secret, with a question, aborted by either side; finish from either side, then
// a send is refused. One libotr process serves the whole file (a fresh peer name per combination).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY_OPPORTUNISTIC, type OtrVersion, type Policy } from '../../src/otr/api.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';
import { LibotrPeer, LIBOTR_POLICY as P, type PeerEvent } from './libotr-peer.ts';
import { libotrAndOurKey } from './keys.ts';
import { Bridge, dataKeyIds } from './bridge.ts';

type Starter = 'we' | 'libotr';
type Method = 'query' | 'whitespace' | 'error';

let lib: LibotrPeer;
let ourKey: DsaPrivateKey;

before(async () => {
  ({ lib, ourKey } = await libotrAndOurKey());
});

after(async () => {
  await lib?.close();
});

/** libotr events that mean something went wrong (checked at the end of every combination). */
const BAD_LIB_EVENTS = new Set(['RCVDMSG_UNREADABLE', 'RCVDMSG_MALFORMED', 'SETUP_ERROR', 'ENCRYPTION_ERROR',
  'RCVDMSG_UNRECOGNIZED', 'MSG_REFLECTED', 'RCVDMSG_NOT_IN_PRIVATE', 'RCVDMSG_FOR_OTHER_INSTANCE']);

const isLibSmp = (b: Bridge, ...names: string[]) => (e: PeerEvent) =>
  e.ev === 'smp_event' && e.peer === b.ourName && names.includes(e.event);
const fromUs = (b: Bridge) => (e: PeerEvent) => e.ev === 'message' && e.from === b.ourName;

for (const version of [3, 2] as OtrVersion[]) {
  for (const starter of ['we', 'libotr'] as Starter[]) {
    for (const method of ['query', 'whitespace', 'error'] as Method[]) {
      test(`v${version}, ${starter === 'we' ? 'we start' : 'libotr starts'} by ${method}`, async (t) => {
        // v2 is forced by the starter's policy, so the other side negotiates down from v2+v3.
        const ourPolicy: Policy = { ...POLICY_OPPORTUNISTIC, allowV3: !(version === 2 && starter === 'we') };
        const libPolicy = version === 2 && starter === 'libotr' ? P.DEFAULT & ~P.ALLOW_V3 : P.DEFAULT;
        const b = new Bridge(lib, { ourName: `ours-v${version}-${starter}-${method}`, key: ourKey, policy: ourPolicy });
        await lib.setPolicy(libPolicy, b.ourName);
        const libSide: PeerEvent[] = [];
        const stash = () => libSide.push(...b.libEvents());

        await t.test('AKE', async () => {
          await startAke(b, starter, method);
          await b.settle();
          const ls = await lib.state(b.ourName);
          assert.equal(b.session.state, 'encrypted', `our events: ${JSON.stringify(b.events)}`);
          assert.equal(ls.msgstate, 'encrypted');
          assert.equal(b.session.version, version);
          assert.equal(ls.version, version);
          assert.equal(b.session.activeFingerprint, lib.fingerprint);
          assert.equal(ls.fingerprint, b.account.fingerprint);
          const [gs, ...more] = b.ours('gone_secure');
          assert.equal(more.length, 0);
          assert.equal(gs!.version, version);
          assert.equal(gs!.instance, version === 3 ? lib.instag : 0);
          assert.equal(ls.their_instance, version === 3 ? b.account.instanceTag : 0);
          assert.deepEqual(b.ours('new_fingerprint').map((e) => e.fingerprint), [lib.fingerprint]);
          const libSecure = b.libEvents().filter((e) => e.ev === 'gone_secure');
          assert.equal(libSecure.length, 1);
          stash();
        });

        await t.test('200 messages each way with key rotation', async () => {
          b.reset();
          for (let i = 0; i < 200; i++) {
            const fromLib = `lib→us ${i} ünïcødé ` + 'x'.repeat(i % 50);
            await lib.send(b.ourName, fromLib);
            const got = b.received.at(-1);
            assert.deepEqual([got?.text, got?.encrypted], [fromLib, true], `message ${i} from libotr`);
            const fromOurs = `us→lib ${i} ` + 'y'.repeat(i % 70);
            assert.deepEqual(b.session.send(fromOurs), { kind: 'sent', encrypted: true });
            const m = await lib.nextEv('message', (e) => e.from === b.ourName);
            assert.deepEqual([m.text, m.encrypted], [fromOurs, true], `message ${i} from us`);
          }
          assert.equal(b.received.length, 200);
          const ourIds = b.sent.map(dataKeyIds).filter((k) => k !== undefined);
          const libIds = b.got.map(dataKeyIds).filter((k) => k !== undefined);
          assert.equal(ourIds.length, 200);
          // Ping-pong acknowledges every new key, so both sides rotate on (nearly) every message.
          assert.ok(ourIds.at(-1)!.sender - ourIds[0]!.sender >= 150, `our key ids ${ourIds[0]!.sender}..${ourIds.at(-1)!.sender}`);
          assert.ok(libIds.at(-1)!.sender - libIds[0]!.sender >= 150, `libotr key ids ${libIds[0]!.sender}..${libIds.at(-1)!.sender}`);
          stash();
        });

        await t.test('2000-byte message fragmented at 400 bytes, both directions', async () => {
          b.reset();
          b.maxSize = 400;
          await lib.setMaxMessageSize(400, b.ourName);
          const big = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(4, '0')}abcde`).join('|').slice(0, 1999) + '!';
          assert.equal(big.length, 2000);
          const prefix = version === 3 ? '?OTR|' : '?OTR,';
          assert.deepEqual(b.session.send(big), { kind: 'sent', encrypted: true });
          const m = await lib.nextEv('message', (e) => e.from === b.ourName);
          assert.equal(m.text, big);
          assert.ok(b.sent.length > 5, `our fragments: ${b.sent.length}`);
          for (const w of b.sent) assert.ok(w.startsWith(prefix) && Buffer.byteLength(w) <= 400, `our fragment ${w.length}: ${w.slice(0, 40)}`);
          await lib.send(b.ourName, big + big);
          assert.equal(b.received.at(-1)?.text, big + big);
          assert.ok(b.got.length > 10);
          for (const w of b.got) assert.ok(w.startsWith(prefix) && w.length <= 400, `libotr fragment ${w.length}`);
          b.maxSize = 0;
          await lib.setMaxMessageSize(0, b.ourName);
          stash();
        });

        await t.test('SMP: right secret (we start), libotr trusts us and we trust libotr', async () => {
          b.reset();
          b.session.smpStart('correct horse');
          await lib.next(isLibSmp(b, 'ASK_FOR_SECRET'));
          await lib.smpRespond(b.ourName, 'correct horse');
          await lib.next(isLibSmp(b, 'SUCCESS'), 10_000, 'libotr SMP success');
          await b.settle();
          assert.deepEqual(b.ours('smp_success').map((e) => e.fingerprint), [lib.fingerprint]);
          assert.equal(b.account.trustOf(b.libName, lib.fingerprint!), 'smp');
          stash();
        });

        await t.test('SMP: libotr asks a question, we answer right', async () => {
          b.reset();
          await lib.smpStart(b.ourName, 'blue', 'Favourite colour?');
          await b.settle();
          assert.deepEqual(b.ours('smp_asked'), [{ type: 'smp_asked', question: 'Favourite colour?' }]);
          assert.deepEqual(b.session.smpPending, { question: 'Favourite colour?' });
          b.session.smpRespond('blue');
          await lib.next(isLibSmp(b, 'SUCCESS'), 10_000, 'libotr SMP success');
          await b.settle();
          assert.equal(b.ours('smp_success').length, 1);
          assert.equal((await lib.state(b.ourName)).trust, 'smp');
          stash();
        });

        await t.test('SMP: wrong secret fails on both sides', async () => {
          b.reset();
          await lib.smpStart(b.ourName, 'one');
          await b.settle();
          assert.equal(b.ours('smp_asked').length, 1);
          b.session.smpRespond('two');
          await lib.next(isLibSmp(b, 'FAILURE'), 10_000, 'libotr SMP failure');
          await b.settle();
          assert.equal(b.ours('smp_failure').length, 1);
          assert.equal(b.ours('smp_success').length, 0);
          b.reset();
          b.session.smpStart('three');
          await lib.next(isLibSmp(b, 'ASK_FOR_SECRET'));
          await lib.smpRespond(b.ourName, 'four');
          await lib.next(isLibSmp(b, 'FAILURE'), 10_000, 'libotr SMP failure');
          await b.settle();
          assert.equal(b.ours('smp_failure').length, 1);
          assert.equal(b.account.trustOf(b.libName, lib.fingerprint!), '', 'a failed SMP we started removes trust');
          stash();
        });

        await t.test('SMP: aborted by us, then by libotr', async () => {
          b.reset();
          await lib.smpStart(b.ourName, 'x');
          await b.settle();
          assert.equal(b.ours('smp_asked').length, 1);
          b.session.smpAbort();
          await lib.next(isLibSmp(b, 'ABORT'), 10_000, 'libotr SMP abort');
          assert.deepEqual(b.ours('smp_aborted'), [{ type: 'smp_aborted', byPeer: false }]);
          b.reset();
          b.session.smpStart('y', 'a question');
          const ask = await lib.next(isLibSmp(b, 'ASK_FOR_ANSWER'));
          assert.equal((ask as { question?: string }).question, 'a question');
          await lib.smpAbort(b.ourName);
          await b.settle();
          assert.deepEqual(b.ours('smp_aborted'), [{ type: 'smp_aborted', byPeer: true, wasUnderWay: true }]);
          assert.equal(b.session.smpInProgress, false);
          // Both sides can still talk.
          assert.equal(b.session.send('still here').kind, 'sent');
          assert.equal((await lib.nextEv('message', (e) => e.from === b.ourName)).text, 'still here');
          stash();
        });

        await t.test('finish from libotr, then from us: the finished side refuses to send', async () => {
          b.reset();
          await lib.finish(b.ourName);
          await b.settle();
          assert.equal(b.session.state, 'finished');
          assert.deepEqual(b.ours('gone_insecure'), [{ type: 'gone_insecure', reason: 'peer_finished' }]);
          assert.equal((await lib.state(b.ourName)).msgstate, 'plaintext');
          const sentBefore = b.sent.length;
          assert.deepEqual(b.session.send('must not leak'), { kind: 'refused', reason: 'finished' });
          assert.equal(b.sent.length, sentBefore, 'nothing reaches the wire');
          b.session.finish();
          assert.equal(b.session.state, 'plaintext');

          // A new AKE, then we finish: libotr is FINISHED and refuses.
          b.session.startAke();
          await b.settle();
          assert.equal(b.session.state, 'encrypted');
          assert.equal((await lib.state(b.ourName)).msgstate, 'encrypted');
          b.session.finish();
          await b.settle();
          assert.equal(b.session.state, 'plaintext');
          assert.equal((await lib.state(b.ourName)).msgstate, 'finished');
          const gotBefore = b.got.length;
          const r = await lib.send(b.ourName, 'must not leak either');
          assert.equal(r.refused, true);
          await b.settle();
          assert.equal(b.got.length, gotBefore, 'libotr sent nothing');
          assert.equal(b.received.length, 0);
          await lib.finish(b.ourName);
          stash();
        });

        stash();
        const bad = libSide.filter((e) => e.ev === 'msg_event' && BAD_LIB_EVENTS.has(e.event));
        assert.deepEqual(bad, [], 'libotr saw nothing malformed or unreadable');
        const ourBad = b.events.filter((e) => ['malformed', 'unreadable', 'smp_error', 'smp_cheated'].includes(e.type));
        assert.deepEqual(ourBad, []);
        await b.close();
      });
    }
  }
}

async function startAke(b: Bridge, starter: Starter, method: Method): Promise<void> {
  if (starter === 'we') {
    switch (method) {
      case 'query':
        b.session.startAke();
        return;
      case 'whitespace': {
        assert.deepEqual(b.session.send('hello, tagged'), { kind: 'sent', encrypted: false });
        assert.match(b.sent[0]!, /^hello, tagged \t  \t\t\t\t \t \t \t {2}/);
        const m = await lib.nextEv('message', (e) => e.from === b.ourName);
        assert.deepEqual([m.text, m.encrypted], ['hello, tagged', false]);
        return;
      }
      case 'error':
        // An OTR error line on our side of the wire; libotr's ERROR_START_AKE answers with a query.
        await lib.receive(b.ourName, '?OTR Error: You transmitted an unreadable encrypted message.');
        return;
    }
  }
  switch (method) {
    case 'query':
      await lib.query(b.ourName);
      return;
    case 'whitespace':
      await lib.send(b.ourName, 'hello from libotr');
      assert.deepEqual(b.received.map((r) => [r.text, r.encrypted]), [['hello from libotr', false]]);
      assert.notEqual(b.got[0], 'hello from libotr', 'libotr tagged its message');
      return;
    case 'error':
      await lib.raw(b.ourName, '?OTR Error: You transmitted an unreadable encrypted message.');
      assert.equal(b.ours('error_from_peer').length, 1);
      return;
  }
}
