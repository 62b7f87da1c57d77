import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword, isHashed, isMalformedHash, parseHash, DEFAULT_SCRYPT } from './password.ts';

const FAST = { N: 1 << 10, r: 8, p: 1 };

test('hashPassword produces scrypt$N$r$p$salt$hash with the default parameters', async () => {
  const h = await hashPassword('correct horse');
  assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  const p = parseHash(h)!;
  assert.equal(p.N, DEFAULT_SCRYPT.N);
  assert.equal(p.salt.length, 16);
  assert.equal(p.hash.length, 32);
  assert.equal(isHashed(h), true);
  assert.equal(await verifyPassword(h, 'correct horse'), true);
  assert.equal(await verifyPassword(h, 'correct horsE'), false);
  assert.equal(await verifyPassword(h, ''), false);
});

test('the salt is random: the same password hashes differently', async () => {
  const a = await hashPassword('pw', FAST);
  const b = await hashPassword('pw', FAST);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword(a, 'pw'), true);
  assert.equal(await verifyPassword(b, 'pw'), true);
});

test('parameters are read from the stored form', async () => {
  const h = await hashPassword('pw', FAST);
  assert.match(h, /^scrypt\$1024\$8\$1\$/);
  assert.equal(await verifyPassword(h, 'pw'), true);
});

test('plain-text stored passwords still verify (exact match only)', async () => {
  assert.equal(isHashed('hunter2'), false);
  assert.equal(await verifyPassword('hunter2', 'hunter2'), true);
  assert.equal(await verifyPassword('hunter2', 'hunter'), false);
  assert.equal(await verifyPassword('hunter2', 'hunter22'), false);
  assert.equal(await verifyPassword('', ''), true);
});

test('unicode passwords are compared after NFC normalisation', async () => {
  const h = await hashPassword('caf\u00e9', FAST);
  assert.equal(await verifyPassword(h, 'cafe\u0301'), true);
});

test('malformed or hostile scrypt strings are not treated as hashes', () => {
  for (const s of [
    'scrypt$',
    'scrypt$1024$8$1$c2FsdHNhbHQ=',
    'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', // N not a power of two
    `scrypt$${1 << 24}$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`, // N too large (memory)
    'scrypt$1024$0$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==',
    `scrypt$${1 << 20}$16$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`, // 2 GiB of scrypt memory
    'scrypt$1024$8$1$not base64!$aGFzaGhhc2hoYXNoaGFzaA==',
    'bcrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==',
  ]) assert.equal(isHashed(s), false, s);
  assert.equal(isHashed('scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='), true);
});

test('a malformed scrypt string never verifies, not even against its own text', async () => {
  const bad = 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==';
  assert.equal(isMalformedHash(bad), true);
  assert.equal(isMalformedHash('hunter2'), false);
  assert.equal(isMalformedHash(await hashPassword('x', FAST)), false);
  assert.equal(await verifyPassword(bad, bad), false);
});
