import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modPowBigint } from './crypto/modexp.ts';
import { DH_G, DH_P, DH_Q, deriveAkeKeys, deriveSessionKeys, generateKeyPair, isValidPublic, sharedSecret } from './dh.ts';
import { sha1, sha256 } from './crypto/hash.ts';
import { bigintToBytes } from './crypto/bigint.ts';

test('the group is RFC 3526 group 5 (1536-bit safe prime, g = 2 of order q)', () => {
  assert.equal(DH_P.toString(2).length, 1536);
  assert.equal(modPowBigint(DH_G, DH_Q, DH_P), 1n);
  assert.equal(DH_P % 2n ** 64n, 2n ** 64n - 1n);
});

test('keypairs agree on the secret; public keys are range-checked', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();
  assert.equal(sharedSecret(a, b.pub), sharedSecret(b, a.pub));
  assert.ok(a.priv < 2n ** 320n);
  assert.equal(isValidPublic(1n), false);
  assert.equal(isValidPublic(DH_P - 1n), false);
  assert.equal(isValidPublic(2n), true);
  assert.throws(() => sharedSecret(a, 0n));
});

test('AKE keys follow the spec: h2(b) = SHA256(b || MPI(s))', () => {
  const s = 0x1234567890abcdefn;
  const k = deriveAkeKeys(s);
  const mpi = new Uint8Array([0, 0, 0, 8, ...bigintToBytes(s)]);
  const h2 = (b: number) => sha256(new Uint8Array([b, ...mpi]));
  assert.deepEqual(k.ssid, h2(0).slice(0, 8));
  assert.deepEqual(k.c, h2(1).slice(0, 16));
  assert.deepEqual(k.cPrime, h2(1).slice(16));
  assert.deepEqual([k.m1, k.m2, k.m1Prime, k.m2Prime], [h2(2), h2(3), h2(4), h2(5)]);
});

test('session keys: the high side sends with 0x01, the low side with 0x02, MAC key = SHA1(AES key)', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();
  const ka = deriveSessionKeys(a, b.pub);
  const kb = deriveSessionKeys(b, a.pub);
  assert.deepEqual(ka.sendAes, kb.recvAes);
  assert.deepEqual(ka.recvAes, kb.sendAes);
  assert.deepEqual(ka.sendMac, sha1(ka.sendAes));
  assert.deepEqual(ka.extraKey, kb.extraKey);
  const s = sharedSecret(a, b.pub);
  const sb = bigintToBytes(s);
  const mpi = new Uint8Array([(sb.length >>> 24) & 255, (sb.length >>> 16) & 255, (sb.length >>> 8) & 255, sb.length & 255, ...sb]);
  const high = a.pub > b.pub ? ka : kb;
  assert.deepEqual(high.sendAes, sha1(new Uint8Array([1, ...mpi])).slice(0, 16));
  assert.deepEqual(ka.extraKey, sha256(new Uint8Array([0xff, ...mpi])));
});
