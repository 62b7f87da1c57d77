import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ake, type AkeOutcome } from './ake.ts';
import { decodeOtrMessage, readHeader, type Header } from './message.ts';
import { fingerprint } from './dsa.ts';
import { testKeys } from './testing/pair.ts';

function parse(wire: string): [Uint8Array, Header] {
  const b = decodeOtrMessage(wire)!;
  return [b, readHeader(b)!];
}

function mk(ourTag: number, theirTag: number): Ake {
  return new Ake({ ourTag: () => ourTag, theirTag: () => theirTag });
}

function reply(o: AkeOutcome): string {
  assert.ok(!('error' in o), 'error' in o ? o.error : '');
  assert.ok('reply' in o && o.reply);
  return o.reply!;
}

test('v3 AKE in both roles: keys, fingerprints, ssid halves, instance tags in headers', async () => {
  const [ka, kb] = await testKeys();
  const bob = mk(0x101, 0x202); // sends the commit
  const alice = mk(0x202, 0x101);
  const commit = bob.start(3);
  const [cb, ch] = parse(commit);
  assert.deepEqual([ch.version, ch.type, ch.senderTag, ch.receiverTag], [3, 0x02, 0x101, 0x202]);
  const key = reply(alice.handleCommit(cb, ch));
  assert.equal(alice.state, 'awaiting_revealsig');
  const reveal = reply(bob.handleKey(...parse(key), kb));
  assert.equal(bob.state, 'awaiting_sig');
  const ra = alice.handleRevealSig(...parse(reveal), ka);
  assert.ok(!('error' in ra) && ra.result && ra.reply);
  const rb = bob.handleSignature(...parse(ra.reply!));
  assert.ok(!('error' in rb) && rb.result && !rb.reply);
  assert.equal(ra.result.fingerprint, fingerprint(kb));
  assert.equal(rb.result.fingerprint, fingerprint(ka));
  assert.deepEqual(ra.result.ssid, rb.result.ssid);
  assert.deepEqual([ra.result.ssidHalf, rb.result.ssidHalf], ['second', 'first']);
  assert.deepEqual([ra.result.weCommitted, rb.result.weCommitted], [false, true]);
  assert.equal(ra.result.theirPub, rb.result.ourDh.pub);
  assert.equal(rb.result.theirPub, ra.result.ourDh.pub);
  assert.equal(alice.state, 'none');
  assert.equal(bob.state, 'none');
});

test('retransmissions: a repeated commit gets the same DH-Key; a repeated DH-Key the same Reveal Signature', async () => {
  const [, kb] = await testKeys();
  const bob = mk(0x101, 0x202);
  const alice = mk(0x202, 0x101);
  const commit = bob.start(3);
  const key1 = reply(alice.handleCommit(...parse(commit)));
  const key2 = reply(alice.handleCommit(...parse(commit)));
  assert.equal(key1, key2);
  const rev1 = reply(bob.handleKey(...parse(key1), kb));
  const rev2 = reply(bob.handleKey(...parse(key1), kb));
  assert.equal(rev1, rev2);
  // A DH-Key with another g^y is ignored while awaiting the signature.
  const other = mk(0x202, 0x101);
  const otherKey = reply(other.handleCommit(...parse(commit)));
  const ignored = bob.handleKey(...parse(otherKey), kb);
  assert.deepEqual(ignored, {});
});

test('collision: the commit with the higher hashed g^x wins', async () => {
  const a = mk(0x101, 0x202);
  const b = mk(0x202, 0x101);
  const ca = a.start(3);
  const cb = b.start(3);
  const ra = a.handleCommit(...parse(cb));
  const rb = b.handleCommit(...parse(ca));
  const states = [a.state, b.state].sort();
  assert.deepEqual(states, ['awaiting_dhkey', 'awaiting_revealsig']);
  // The winner resends its commit, the loser answers with a DH-Key.
  const winner = a.state === 'awaiting_dhkey' ? { o: ra, c: ca } : { o: rb, c: cb };
  assert.equal(reply(winner.o), winner.c);
});

test('tampered Reveal Signature and Signature are rejected without finishing', async () => {
  const [ka, kb] = await testKeys();
  const bob = mk(0x101, 0x202);
  const alice = mk(0x202, 0x101);
  const key = reply(alice.handleCommit(...parse(bob.start(3))));
  const reveal = reply(bob.handleKey(...parse(key), kb));
  const [rb, rh] = parse(reveal);
  const bad = rb.slice();
  bad[bad.length - 1]! ^= 1; // MAC
  const r1 = alice.handleRevealSig(bad, rh, ka);
  assert.ok('error' in r1 && /MAC/.test(r1.error));
  const badR = rb.slice();
  badR[rh.bodyOffset + 4]! ^= 1; // r
  const r2 = alice.handleRevealSig(badR, rh, ka);
  assert.ok('error' in r2 && /commitment/.test(r2.error));
  assert.equal(alice.state, 'awaiting_revealsig');
  const ok = alice.handleRevealSig(rb, rh, ka);
  assert.ok(!('error' in ok) && ok.reply);
  const [sb, sh] = parse(ok.reply!);
  const badS = sb.slice();
  badS[sh.bodyOffset + 10]! ^= 1;
  const r3 = bob.handleSignature(badS, sh);
  assert.ok('error' in r3);
  assert.equal(bob.state, 'awaiting_sig');
});

test('v2 messages carry no instance tags; a DH-Key of another version is ignored', async () => {
  const [, kb] = await testKeys();
  const bob = mk(0x101, 0);
  const commit = bob.start(2);
  assert.ok(commit.startsWith('?OTR:AAIC'));
  const alice3 = mk(0x202, 0x101);
  const key3 = reply(alice3.handleCommit(...parse(bob.start(3))));
  bob.start(2);
  assert.deepEqual(bob.handleKey(...parse(key3), kb), {});
  assert.equal(bob.state, 'awaiting_dhkey');
});

test('messages out of state are ignored', async () => {
  const [ka] = await testKeys();
  const a = mk(0x101, 0x202);
  const b = mk(0x202, 0x101);
  const key = reply(b.handleCommit(...parse(a.start(3))));
  const fresh = mk(0x101, 0x202);
  assert.deepEqual(fresh.handleKey(...parse(key), ka), {});
  assert.equal(fresh.state, 'none');
});

test('collision against a peer that answers our commit anyway (libotr v2 master): we continue as committer', async () => {
  const [ka, kb] = await testKeys();
  const a = mk(0, 0);
  const b = mk(0, 0);
  const ca = a.start(2);
  const cb = b.start(2);
  // Make `low` the side whose commit loses the comparison, `high` the other.
  const aLow = a.handleCommit(...parse(cb));
  const [low, lowCommit, lowKey, highKey] = a.state === 'awaiting_revealsig' ? [a, ca, ka, kb] : [b, cb, kb, ka];
  if (low === b) b.handleCommit(...parse(ca));
  void aLow;
  assert.equal(low.state, 'awaiting_revealsig');
  // The peer, like libotr's master context, drops its own commit and answers ours.
  const peer = mk(0, 0);
  const key = reply(peer.handleCommit(...parse(lowCommit)));
  const reveal = reply(low.handleKey(...parse(key), lowKey));
  assert.equal(low.state, 'awaiting_sig');
  const rp = peer.handleRevealSig(...parse(reveal), highKey);
  assert.ok(!('error' in rp) && rp.result && rp.reply);
  const rl = low.handleSignature(...parse(rp.reply!));
  assert.ok(!('error' in rl) && rl.result);
  assert.deepEqual(rl.result.ssid, rp.result.ssid);
});

test('a Reveal Signature opening a commitment the peer has since replaced is accepted (libotr re-commits on a repeated query)', async () => {
  const [ka, kb] = await testKeys();
  const alice = mk(0x202, 0x101);
  const first = mk(0x101, 0x202); // the commit libotr's instance context keeps answering with
  const second = mk(0x101, 0x202); // the commit its master context sent after our second query
  const key = reply(alice.handleCommit(...parse(first.start(3))));
  assert.equal(reply(alice.handleCommit(...parse(second.start(3)))), key, 'the same DH-Key again');
  const ra = alice.handleRevealSig(...parse(reply(first.handleKey(...parse(key), kb))), ka);
  assert.ok(!('error' in ra) && ra.result, 'error' in ra ? ra.error : '');
  assert.equal(ra.result.fingerprint, fingerprint(kb));
  const rb = first.handleSignature(...parse(ra.reply!));
  assert.ok(!('error' in rb) && rb.result);
  assert.deepEqual(ra.result.ssid, rb.result.ssid);
});

test('a Reveal Signature opening no commitment we hold is refused', async () => {
  const [ka, kb] = await testKeys();
  const alice = mk(0x202, 0x101);
  const stranger = mk(0x101, 0x202);
  const committed = mk(0x101, 0x202);
  const key = reply(alice.handleCommit(...parse(committed.start(3))));
  stranger.start(3); // never seen by alice
  const ra = alice.handleRevealSig(...parse(reply(stranger.handleKey(...parse(key), kb))), ka);
  assert.deepEqual(ra, { error: 'Reveal Signature: g^x does not match its commitment' });
  assert.equal(alice.state, 'awaiting_revealsig');
});
