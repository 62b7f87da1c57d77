// Proves the libotr peer harness: two real libotr processes talk through it
// (AKE, messages both ways, fragmentation, SMP, finish).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibotrPeer, linkPeers, settle } from './libotr-peer.ts';
import { sharedLibotrKey } from './keys.ts';

let dir: string;
let alice: LibotrPeer;
let bob: LibotrPeer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otrpeer-self-'));
  [alice, bob] = await Promise.all([
    LibotrPeer.start({ account: 'alice', privkey: await sharedLibotrKey('alice') }),
    LibotrPeer.start({ account: 'bob', privkey: await sharedLibotrKey('bob') }),
  ]);
  linkPeers(alice, bob);
});

after(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('AKE from a query: both sides go secure with v3 and matching instance tags', async () => {
  assert.match(alice.fingerprint!, /^[0-9A-F]{40}$/);
  await alice.query('bob');
  const [ga, gb] = await Promise.all([alice.nextEv('gone_secure'), bob.nextEv('gone_secure')]);
  assert.equal(ga.version, 3);
  assert.equal(ga.fingerprint, bob.fingerprint);
  assert.equal(gb.fingerprint, alice.fingerprint);
  assert.equal(ga.their_instance, bob.instag);
  assert.equal(gb.their_instance, alice.instag);
  const sa = await alice.state('bob');
  assert.equal(sa.msgstate, 'encrypted');
  assert.equal(sa.our_instance, alice.instag);
});

test('messages both ways are encrypted and arrive intact', async () => {
  for (let i = 0; i < 20; i++) {
    await alice.send('bob', `hello ${i} from alice`);
    const m = await bob.nextEv('message');
    assert.deepEqual([m.text, m.encrypted], [`hello ${i} from alice`, true]);
    await bob.send('alice', `reply ${i} ünïcödé`);
    const r = await alice.nextEv('message');
    assert.deepEqual([r.text, r.encrypted], [`reply ${i} ünïcödé`, true]);
  }
});

test('a 2000-byte message is fragmented at 400 bytes and reassembled', async () => {
  const big = 'x'.repeat(1990) + '0123456789';
  await alice.setMaxMessageSize(400);
  const seen: string[] = [];
  const orig = alice.onWire!;
  alice.onWire = (to, wire) => { seen.push(wire); orig(to, wire); };
  await alice.send('bob', big);
  const m = await bob.nextEv('message');
  alice.onWire = orig;
  await alice.setMaxMessageSize(0);
  assert.equal(m.text, big);
  assert.ok(seen.length > 1 && seen.every((w) => w.length <= 400 && w.startsWith('?OTR|')), `fragments: ${seen.map((w) => w.length)}`);
});

test('SMP with a question and the right secret succeeds on both sides', async () => {
  await alice.smpStart('bob', 'our secret', 'where did we meet?');
  const ask = await bob.nextEv('smp_event', (e) => e.event === 'ASK_FOR_ANSWER');
  assert.equal(ask.question, 'where did we meet?');
  await bob.smpRespond('alice', 'our secret');
  const [a, b] = await Promise.all([
    alice.nextEv('smp_event', (e) => e.event === 'SUCCESS' || e.event === 'FAILURE'),
    bob.nextEv('smp_event', (e) => e.event === 'SUCCESS' || e.event === 'FAILURE'),
  ]);
  assert.deepEqual([a.event, b.event], ['SUCCESS', 'SUCCESS']);
  assert.equal((await alice.state('bob')).trust, 'smp');
});

test('SMP with a wrong secret fails on both sides; an abort reaches the other side', async () => {
  await bob.smpStart('alice', 'one');
  await alice.nextEv('smp_event', (e) => e.event === 'ASK_FOR_SECRET');
  await alice.smpRespond('bob', 'two');
  const [a, b] = await Promise.all([
    alice.nextEv('smp_event', (e) => e.event === 'SUCCESS' || e.event === 'FAILURE'),
    bob.nextEv('smp_event', (e) => e.event === 'SUCCESS' || e.event === 'FAILURE'),
  ]);
  assert.deepEqual([a.event, b.event], ['FAILURE', 'FAILURE']);

  await alice.smpStart('bob', 'three');
  await bob.nextEv('smp_event', (e) => e.event === 'ASK_FOR_SECRET');
  await bob.smpAbort('alice');
  await alice.nextEv('smp_event', (e) => e.event === 'ABORT');
  await settle(alice, bob);
  alice.take();
  bob.take();
});

test('finish: the other side is FINISHED and its send is refused, never sent in clear', async () => {
  await alice.finish('bob');
  await settle(alice, bob);
  assert.equal((await alice.state('bob')).msgstate, 'plaintext');
  assert.equal((await bob.state('alice')).msgstate, 'finished');
  const wires: string[] = [];
  bob.onWire = (_to, w) => wires.push(w);
  const r = await bob.send('alice', 'must not leak');
  assert.equal(r.refused, true);
  assert.deepEqual(wires, []);
  linkPeers(alice, bob);
});

test('bad commands get error replies and the peer keeps running', async () => {
  await assert.rejects(alice.command('nonsense'), /unknown command/);
  await assert.rejects(alice.command('send', { to: 'bob' }), /missing string field "text"/);
  await assert.rejects(alice.smpRespond('nobody', 'x'), /no SMP request/);
  assert.equal((await alice.state('bob')).msgstate, 'plaintext');
});
