// Our engine against python-potr, an OTR v2 implementation of its own (WeeChat's otr.py and Gajim use it),
// where the libotr matrix (matrix.test.ts) proves libotr: {we start, potr starts} × {query, whitespace
// tag}, and the query with fragments at 400 bytes both ways: AKE with fingerprints crosswise; 30 messages
// each way (non-ASCII, keys rotating); SMP from either side, right and wrong secret, with a question;
// finish from either side, after which our send is refused and nothing goes out.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { OtrAccount, POLICY_OPPORTUNISTIC, generateDsaKey, type DsaPrivateKey } from '../../src/otr/index.ts';
import { PotrBridge, PotrPeer } from './potr-peer.ts';

let key: DsaPrivateKey;
before(async () => {
  key = await generateDsaKey();
});

/** A text of `len` characters with some outside ASCII, different for every tag. */
const textOf = (tag: string, len: number) => `${tag}: ${'héllo wörld ✓ '.repeat(Math.ceil(len / 14))}`.slice(0, len);

let account: OtrAccount;

async function connect(mms: number): Promise<PotrBridge> {
  const potr = await PotrPeer.start('bob', 'alice', mms);
  const b = new PotrBridge(potr);
  account = new OtrAccount({ name: 'alice', protocol: 'irc', policy: POLICY_OPPORTUNISTIC, privateKey: key });
  b.session = account.createSession('bob', {
    inject: (wire) => b.toPotr.push(wire),
    event: (e) => b.ours.push(e),
    maxMessageSize: () => mms,
  });
  return b;
}

for (const [starter, method, mms] of [
  ['we', 'query', 0], ['potr', 'query', 0], ['we', 'whitespace', 0], ['potr', 'whitespace', 0],
  ['we', 'query', 400], ['potr', 'query', 400],
] as const) {
  test(`${starter === 'we' ? 'we start' : 'potr starts'} by ${method}${mms ? `, fragments at ${mms} bytes` : ''}`, async (t) => {
    const b = await connect(mms);
    t.after(() => b.potr.close());
    const len = mms ? 1500 : 80;

    await t.test('AKE', async () => {
      if (starter === 'we' && method === 'query') {
        b.session.startAke();
        await b.pump();
      } else if (starter === 'we') {
        b.session.send('hi bob');
        await b.pump();
        assert.equal(b.potr.events.find((e) => e.ev === 'msg')?.text, 'hi bob', 'potr shows the tagged text without the tag');
      } else if (method === 'query') {
        await b.potrDoes({ op: 'query' });
      } else {
        await b.potrDoes({ op: 'send', text: 'hi alice' });
        assert.deepEqual(b.received[0], { text: 'hi alice', encrypted: false });
      }
      assert.equal(b.session.state, 'encrypted', JSON.stringify(b.ours));
      assert.equal(b.session.version, 2);
      assert.equal(b.potr.status.state, 1);
      assert.equal(b.session.activeFingerprint, b.potr.status.fingerprint);
      assert.equal(b.potr.status.theirFingerprint, account.fingerprint);
    });

    await t.test('30 messages each way', async () => {
      for (let i = 0; i < 30; i++) {
        const ours = textOf(`a${i}`, len);
        assert.equal(b.session.send(ours).kind, 'sent');
        await b.pump();
        assert.deepEqual(b.potr.lastMessage(), { ev: 'msg', text: ours, encrypted: true, tlvs: [] }, `message ${i} to potr`);
        const theirs = textOf(`b${i}`, len);
        await b.potrDoes({ op: 'send', text: theirs });
        assert.deepEqual(b.received.at(-1), { text: theirs, encrypted: true }, `message ${i} from potr`);
      }
      assert.equal(b.potr.events.filter((e) => e.ev !== 'msg').length, 0, JSON.stringify(b.potr.events.filter((e) => e.ev !== 'msg')));
      assert.equal(b.ours.filter((e) => e.type === 'unreadable' || e.type === 'malformed').length, 0);
    });

    await t.test('SMP: we ask, the right secret', async () => {
      b.ours.length = 0;
      b.session.smpStart('s3cret');
      await b.pump();
      await b.potrDoes({ op: 'smpsecret', secret: 's3cret' });
      assert.deepEqual(b.smpEvents(), ['smp_progress', 'smp_success']);
      assert.equal(b.potr.status.trust, 'smp');
    });

    await t.test('SMP: potr asks a question, a wrong secret', async () => {
      b.ours.length = 0;
      await b.potrDoes({ op: 'smpinit', secret: 'blue', question: 'Colour of the door?' });
      assert.deepEqual(b.ours.filter((e) => e.type === 'smp_asked'), [{ type: 'smp_asked', question: 'Colour of the door?' }]);
      b.session.smpRespond('green');
      await b.pump();
      assert.ok(b.smpEvents().includes('smp_failure'), b.smpEvents().join());
      assert.ok(!b.smpEvents().includes('smp_success'));
      // potr aborts after a failure; nothing is under way any more on our side by then.
      assert.deepEqual(b.ours.filter((e) => e.type === 'smp_aborted'), [{ type: 'smp_aborted', byPeer: true, wasUnderWay: false }]);
    });

    await t.test('SMP: potr asks, the right secret', async () => {
      b.ours.length = 0;
      await b.potrDoes({ op: 'smpinit', secret: 'same' });
      b.session.smpRespond('same');
      await b.pump();
      assert.deepEqual(b.smpEvents(), ['smp_asked', 'smp_success']);
    });

    await t.test(starter === 'we' ? 'potr finishes: our send is refused' : 'we finish: potr leaves the session', async () => {
      if (starter === 'we') {
        await b.potrDoes({ op: 'disconnect' });
        assert.equal(b.session.state, 'finished');
        assert.equal(b.session.send('not in clear').kind, 'refused');
        assert.deepEqual(b.toPotr, []);
      } else {
        b.session.finish();
        await b.pump();
        assert.equal(b.potr.status.state, 2, 'potr is finished');
        await b.potrDoes({ op: 'send', text: 'still there?' });
        assert.equal(b.potr.events.at(-1)?.ev, 'refused', 'potr refuses too');
      }
    });
  });
}
