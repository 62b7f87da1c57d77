import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NickList, patternMatches, isValidPattern } from './nick-list.ts';
import type { Casemapping } from '../../src/modules/api.ts';

const rfc1459: Casemapping = {
  lower: (s) => s.replace(/[A-Z[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c] ?? c.toLowerCase()),
  equal: (a, b) => rfc1459.lower(a) === rfc1459.lower(b),
};
const ascii: Casemapping = {
  lower: (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()),
  equal: (a, b) => ascii.lower(a) === ascii.lower(b),
};

test('wildcards * and ? match nicks, case-insensitively', () => {
  assert.equal(patternMatches('Guest*', 'guest123', rfc1459), true);
  assert.equal(patternMatches('guest*', 'GUEST', rfc1459), true);
  assert.equal(patternMatches('*bot', 'HelpBot', rfc1459), true);
  assert.equal(patternMatches('*bot', 'bottom', rfc1459), false);
  assert.equal(patternMatches('b?b', 'Bob', rfc1459), true);
  assert.equal(patternMatches('b?b', 'bo', rfc1459), false);
  assert.equal(patternMatches('*', 'anyone', rfc1459), true);
});

test('glob characters other than * and ? are literal (nicks contain them)', () => {
  assert.equal(patternMatches('[bot]', '[bot]', rfc1459), true);
  assert.equal(patternMatches('[bot]', 'b', rfc1459), false);
  assert.equal(patternMatches('[a]*', '[a]x', rfc1459), true);
  assert.equal(patternMatches('[a]*', 'ax', rfc1459), false);
  assert.equal(patternMatches('{x}*', '{x}y', ascii), true);
  assert.equal(patternMatches('foo\\*', 'foo\\bar', ascii), true);
  assert.equal(patternMatches('!x*', '!xy', ascii), true);
  assert.equal(patternMatches('.*', '.hidden', ascii), true);
});

test('rfc1459 casemapping: [ ] \\ ~ equal { } | ^', () => {
  assert.equal(patternMatches('[Away]*', '{away}now', rfc1459), true);
  assert.equal(patternMatches('[Away]*', '{away}now', ascii), false);
  assert.equal(patternMatches('a~b', 'A^B', rfc1459), true);
});

test('NickList add/remove/find compare by casemapping and keep the user\'s spelling', () => {
  const l = new NickList(['*']);
  assert.equal(l.add('Guest*', rfc1459), true);
  assert.equal(l.add('GUEST*', rfc1459), false);
  assert.deepEqual(l.list(), ['*', 'Guest*']);
  assert.equal(l.match('guest7', rfc1459), '*');
  assert.equal(l.remove('guest*', rfc1459), 'Guest*');
  assert.equal(l.remove('guest*', rfc1459), undefined);
  assert.equal(l.remove('*', rfc1459), '*');
  assert.equal(l.match('anyone', rfc1459), undefined);
  assert.equal(new NickList(['[x]']).find('{X}', rfc1459), '[x]');
});

test('pattern validity', () => {
  assert.equal(isValidPattern('Guest*'), true);
  assert.equal(isValidPattern(''), false);
  assert.equal(isValidPattern('a b'), false);
  assert.equal(isValidPattern('a,b'), false);
  assert.equal(isValidPattern('a\x01'), false);
});
