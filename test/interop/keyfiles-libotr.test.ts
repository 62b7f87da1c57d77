// libotr's key, fingerprint and instance tag files read by us, and ours read by libotr, with equal
// fingerprints and tags (real libotr through the otrpeer process).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibotrPeer, linkPeers } from './libotr-peer.ts';
import { sharedLibotrKey } from './keys.ts';
import { KeyStore } from '../../src/otr/key-store.ts';
import { KeyFileError, parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import { fingerprint } from '../../src/otr/dsa.ts';
import { generateDsaKey } from '../../src/otr/keygen.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'otr-keyfiles-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('files written by libotr read here: keys of two accounts, instance tag, fingerprints with trust', async () => {
  const d = join(dir, 'from-libotr');
  mkdirSync(d);
  const store = new KeyStore(d);
  const account2 = 'nick@irc.example.net';
  // libotr generates keys for two accounts into one file, and an instance tag file.
  const alice = await LibotrPeer.start({ account: 'alice', genkey: store.privateKeyPath, instags: store.instanceTagPath });
  const fp2 = await alice.genkey(store.privateKeyPath, account2);
  const bob = await LibotrPeer.start({ account: 'bob', privkey: await sharedLibotrKey('bob') });
  try {
    linkPeers(alice, bob);
    await alice.query('bob');
    const g = await alice.nextEv('gone_secure');
    await alice.trust('bob', g.fingerprint, 'verified');
    await alice.writeFingerprints(store.fingerprintPath);
    await alice.writeInstags(store.instanceTagPath);

    const keys = await store.readPrivateKeys();
    assert.deepEqual(keys.map((k) => [k.account, k.protocol]), [['alice', 'irc'], [account2, 'irc']]);
    assert.equal(fingerprint(keys[0]!.key), alice.fingerprint);
    assert.equal(fingerprint(keys[1]!.key), fp2);
    const acct = await store.loadAccount('alice', 'irc');
    assert.equal(acct.instanceTag, alice.instag);
    assert.deepEqual(acct.fingerprints, [{ peer: 'bob', fingerprint: bob.fingerprint, trust: 'verified' }]);
    assert.deepEqual(store.loadAccountSync('alice', 'irc'), acct);
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});

test('files written here read by libotr: same fingerprint, instance tag and trusted fingerprints', async () => {
  const d = join(dir, 'from-us');
  const store = new KeyStore(d);
  const [k1, k2] = await Promise.all([generateDsaKey(), generateDsaKey()]);
  await store.savePrivateKey('other', 'irc', k2);
  await store.savePrivateKey('alice', 'irc', k1);
  await store.saveInstanceTag('alice', 'irc', 0x1234abcd);
  await store.saveInstanceTag('other', 'irc', 0x100);
  const bobFp = 'AB'.repeat(20);
  await store.saveFingerprints('alice', 'irc', [
    { peer: 'bob', fingerprint: bobFp, trust: 'smp' },
    { peer: 'carol', fingerprint: 'CD'.repeat(20), trust: '' },
  ]);
  for (const p of [store.privateKeyPath, store.instanceTagPath, store.fingerprintPath]) {
    assert.equal(statSync(p).mode & 0o777, 0o600, p);
  }
  const peer = await LibotrPeer.start({
    account: 'alice', privkey: store.privateKeyPath, instags: store.instanceTagPath, fingerprints: store.fingerprintPath,
  });
  try {
    assert.equal(peer.fingerprint, fingerprint(k1));
    assert.equal(peer.instag, 0x1234abcd);
    assert.equal((await peer.command('our_fingerprint', { account: 'other' })).fingerprint, fingerprint(k2));
    const fps = await peer.fingerprints();
    assert.deepEqual(
      fps.map((f) => [f.peer, f.fingerprint, f.trust]).sort(),
      [['bob', bobFp, 'smp'], ['carol', 'CD'.repeat(20), '']],
    );
    // And libotr writes back what it read, which we read again unchanged.
    const again = join(d, 'rewritten');
    await peer.writeFingerprints(again);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(store.fingerprintPath, 'utf8'));
  } finally {
    await peer.close();
  }
});

test('key store: replacing one account keeps the others; bad files give KeyFileError naming the file', async () => {
  const d = join(dir, 'store');
  const store = new KeyStore(d);
  assert.deepEqual(await store.loadAccount('x', 'irc'), { privateKey: undefined, instanceTag: undefined, fingerprints: [] });
  const [k1, k2] = await Promise.all([generateDsaKey(), generateDsaKey()]);
  await Promise.all([store.savePrivateKey('a', 'irc', k1), store.savePrivateKey('b', 'irc', k1)]);
  await store.savePrivateKey('a', 'irc', k2);
  const keys = parsePrivateKeys(readFileSync(store.privateKeyPath));
  assert.deepEqual(keys.map((e) => [e.account, fingerprint(e.key)]), [['b', fingerprint(k1)], ['a', fingerprint(k2)]]);

  writeFileSync(store.fingerprintPath, 'garbage without tabs\n');
  await assert.rejects(store.loadAccount('a', 'irc'), (e: unknown) =>
    e instanceof KeyFileError && e.file === store.fingerprintPath && /line 1/.test(e.message));
  writeFileSync(store.privateKeyPath, '(privkeys (account');
  assert.throws(() => store.loadAccountSync('a', 'irc'), (e: unknown) => e instanceof KeyFileError && e.message.startsWith(store.privateKeyPath));
});
