import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY_OPPORTUNISTIC } from './api.ts';
import {
  TAG_BASE, TAG_V2, TAG_V3, bestVersion, classify, decodeOtrMessage, decodeWholeShared, defaultQueryMessage, encodeOtrMessage,
  encodedVersion, errorText, findWhitespaceTag, queryTag, queryVersions, readHeader, whitespaceTag,
} from './message.ts';

test('encoded message framing round-trips and finds the message inside text', () => {
  const bytes = new Uint8Array([0, 3, 2, 1, 2, 3, 255]);
  const wire = encodeOtrMessage(bytes);
  assert.match(wire, /^\?OTR:[A-Za-z0-9+/=]+\.$/);
  assert.deepEqual(decodeOtrMessage(wire), bytes);
  assert.deepEqual(decodeOtrMessage('prefix ' + wire + ' trailing'), bytes);
  assert.equal(decodeOtrMessage('no otr here'), undefined);
});

test('decodeWholeShared takes only a line that is one whole encoded message', () => {
  for (const n of [1, 2, 3, 4, 5, 6, 64, 358]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    const wire = encodeOtrMessage(bytes);
    assert.deepEqual(decodeWholeShared(wire), bytes);
    const b64 = wire.slice(5, -1);
    // Anything besides the alphabet inside, or anything around it: not whole (the general path takes it).
    for (const bad of [
      wire + ' ', ' ' + wire, wire.slice(0, -1), wire + '.', `?OTR:${b64.slice(0, 2)}?OTR|${b64.slice(2)}.`,
      `?OTR:${b64.slice(0, 2)}.${b64.slice(2)}.`, `?OTR:${b64.slice(0, 2)} ${b64.slice(3)}.`, `?OTR:=${b64.slice(1)}.`,
      `?OTR:${b64.slice(0, -4)}A=AA.`,
    ]) {
      if (bad === wire) continue;
      assert.equal(decodeWholeShared(bad), undefined, bad);
    }
  }
  assert.equal(decodeWholeShared('?OTR:.'), undefined);
});

test('headers: v2 has no instance tags, v3 has sender and receiver', () => {
  assert.deepEqual(readHeader(new Uint8Array([0, 2, 0x0a, 9])), { version: 2, type: 0x0a, senderTag: 0, receiverTag: 0, bodyOffset: 3 });
  const v3 = new Uint8Array([0, 3, 0x02, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(readHeader(v3), { version: 3, type: 2, senderTag: 0x100, receiverTag: 0xffffffff, bodyOffset: 11 });
  assert.equal(readHeader(new Uint8Array([0, 3, 2, 0])), undefined);
  assert.equal(readHeader(new Uint8Array([0, 1, 3])), undefined);
  assert.equal(readHeader(new Uint8Array([0, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0])), undefined);
});

test('classify follows libotr (AAM/AAI prefixes, query, error, tagged, plain)', () => {
  assert.equal(classify('?OTR:AAMDxyz.'), 'encoded');
  assert.equal(classify('?OTR:AAICxyz.'), 'encoded');
  assert.equal(classify('?OTR:AAEK.'), 'unknown');
  assert.equal(classify('?OTRv23?'), 'query');
  assert.equal(classify('hey ?OTR?v2?'), 'query');
  assert.equal(classify('?OTR Error: boom'), 'error');
  assert.equal(classify('hello' + TAG_BASE + TAG_V3), 'tagged');
  assert.equal(classify('hello'), 'plain');
  assert.equal(encodedVersion('?OTR:AAMD'), 3);
  assert.equal(encodedVersion('?OTR:AAID'), 2);
});

test('query messages: versions offered and chosen, and libotr\'s text', () => {
  assert.deepEqual([...queryVersions('?OTRv23?')].sort(), [2, 3]);
  assert.deepEqual([...queryVersions('?OTR?v2?')].sort(), [1, 2]);
  assert.deepEqual([...queryVersions('?OTR?')], [1]);
  assert.deepEqual([...queryVersions('?OTRv?')], []);
  assert.equal(bestVersion(new Set([2, 3]), POLICY_OPPORTUNISTIC), 3);
  assert.equal(bestVersion(new Set([2, 3]), { ...POLICY_OPPORTUNISTIC, allowV3: false }), 2);
  assert.equal(bestVersion(new Set([1]), POLICY_OPPORTUNISTIC), undefined);
  assert.equal(queryTag(POLICY_OPPORTUNISTIC), '?OTRv23?');
  assert.equal(queryTag({ ...POLICY_OPPORTUNISTIC, allowV2: false }), '?OTRv3?');
  const q = defaultQueryMessage('alice', POLICY_OPPORTUNISTIC);
  assert.ok(q.startsWith('?OTRv23?\n<b>alice</b> has requested an <a href="https://otr.cypherpunks.ca/">Off-the-Record private conversation</a>.'));
});

test('whitespace tags: built for the policy, found, stripped', () => {
  assert.equal(whitespaceTag(POLICY_OPPORTUNISTIC), TAG_BASE + TAG_V2 + TAG_V3);
  assert.equal(TAG_BASE.length, 16);
  const f = findWhitespaceTag('hi' + TAG_BASE + TAG_V2 + TAG_V3 + ' there')!;
  assert.deepEqual([...f.versions].sort(), [2, 3]);
  assert.equal(f.stripped, 'hi there');
  assert.deepEqual([...findWhitespaceTag(TAG_BASE)!.versions], []);
  assert.equal(findWhitespaceTag('nothing'), undefined);
});

test('error text drops the prefix and one space', () => {
  assert.equal(errorText('?OTR Error: You transmitted an unreadable encrypted message.'), 'You transmitted an unreadable encrypted message.');
  assert.equal(errorText('?OTR Error:x'), 'x');
});
