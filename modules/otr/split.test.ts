import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitUtf8, clientTextBudget } from './split.ts';

test('short text stays whole; long text is cut after a space, pieces within the budget', () => {
  assert.deepEqual(splitUtf8('hello', 10), ['hello']);
  assert.deepEqual(splitUtf8('aaaa bbbb cccc', 10), ['aaaa bbbb ', 'cccc']);
  assert.deepEqual(splitUtf8('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
  assert.deepEqual(splitUtf8('éééé', 4), ['éé', 'éé']);
});

test('property: joined pieces give the text back; no piece over the budget; no broken character', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 1500 }), fc.integer({ min: 4, max: 600 }), (s, max) => {
      const parts = splitUtf8(s, max);
      assert.equal(parts.join(''), s);
      for (const p of parts) {
        assert.ok(Buffer.byteLength(p) <= max);
        assert.equal(Buffer.from(p).toString('utf8'), p);
      }
    }),
    { numRuns: 60 },
  );
});

test('client budget: the whole line with prefix and CRLF is 512 bytes', () => {
  const prefix = 'bob!~bob@127.0.0.1';
  const n = clientTextBudget(prefix, 'alice', false);
  assert.equal(Buffer.byteLength(`:${prefix} PRIVMSG alice :${'x'.repeat(n)}\r\n`), 512);
  const a = clientTextBudget(prefix, 'alice', true);
  assert.equal(Buffer.byteLength(`:${prefix} PRIVMSG alice :\x01ACTION ${'x'.repeat(a)}\x01\r\n`), 512);
});
