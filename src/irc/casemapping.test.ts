import { test } from 'node:test';
import assert from 'node:assert/strict';
import { casemapping } from './casemapping.ts';

test('rfc1459 folds []\\^ to {}|~', () => {
  const cm = casemapping('rfc1459');
  assert.equal(cm.lower('Nick[A]\\^'), 'nick{a}|~');
  assert.ok(cm.equal('FOO[]', 'foo{}'));
});

test('strict-rfc1459 does not fold ^', () => {
  const cm = casemapping('strict-rfc1459');
  assert.equal(cm.lower('A[]\\^'), 'a{}|^');
  assert.ok(!cm.equal('a^', 'a~'));
});

test('ascii folds only A-Z; unknown names fall back to rfc1459', () => {
  assert.equal(casemapping('ascii').lower('AZ[]'), 'az[]');
  assert.ok(!casemapping('ascii').equal('[', '{'));
  assert.equal(casemapping('weird').lower('A['), 'a{');
  assert.equal(casemapping(undefined).lower('X'), 'x');
  const s = 'already lower';
  assert.equal(casemapping('rfc1459').lower(s), s);
});
