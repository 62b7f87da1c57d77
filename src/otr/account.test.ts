import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OtrAccount } from './account.ts';
import { POLICY_OPPORTUNISTIC } from './api.ts';
import { fingerprint } from './dsa.ts';
import { testKeys } from './testing/pair.ts';

test('account: instance tag given or generated (>= 0x100), bad tag refused', () => {
  assert.equal(new OtrAccount({ name: 'a', protocol: 'irc', instanceTag: 0x1234 }).instanceTag, 0x1234);
  assert.ok(new OtrAccount({ name: 'a', protocol: 'irc' }).instanceTag >= 0x100);
  assert.throws(() => new OtrAccount({ name: 'a', protocol: 'irc', instanceTag: 5 }), RangeError);
  assert.deepEqual(new OtrAccount({ name: 'a', protocol: 'irc' }).policy, { ...POLICY_OPPORTUNISTIC });
});

test('account: own fingerprint follows the key, set later too', async () => {
  const [k] = await testKeys();
  const a = new OtrAccount({ name: 'a', protocol: 'irc' });
  assert.equal(a.fingerprint, undefined);
  a.privateKey = k;
  assert.equal(a.fingerprint, fingerprint(k!));
  assert.match(a.fingerprint!, /^[0-9A-F]{40}$/);
});

test('account: known fingerprints, trust and the change callback', () => {
  const fp = 'AB'.repeat(20);
  const a = new OtrAccount({ name: 'a', protocol: 'irc', fingerprints: [{ peer: 'bob', fingerprint: fp.toLowerCase(), trust: 'verified' }] });
  let changes = 0;
  a.onFingerprintsChanged = () => changes++;
  assert.equal(a.trustOf('bob', fp), 'verified');
  assert.equal(a.addFingerprint('bob', fp), false);
  assert.equal(a.addFingerprint('carol', fp), true);
  assert.equal(changes, 1);
  assert.equal(a.setTrust('carol', fp, 'smp'), true);
  assert.equal(a.setTrust('carol', fp, 'smp'), true);
  assert.equal(changes, 2);
  assert.equal(a.setTrust('dave', fp, 'smp'), false);
  assert.deepEqual(a.fingerprintsOf('carol'), [{ peer: 'carol', fingerprint: fp, trust: 'smp' }]);
  const copy = a.fingerprints();
  copy[0]!.trust = 'tampered';
  assert.equal(a.trustOf('bob', fp), 'verified');
  assert.equal(a.removeFingerprint('carol', fp), true);
  assert.equal(a.fingerprints().length, 1);
});
