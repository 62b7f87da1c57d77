import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePlaintext, decodeTlvs, encodePlaintext, encodeTlvs } from './tlv.ts';

test('TLVs round-trip; a truncated one is dropped with what follows', () => {
  const tlvs = [{ type: 1, value: new Uint8Array(0) }, { type: 8, value: new Uint8Array([0, 0, 0, 7, 9]) }];
  const bytes = encodeTlvs(tlvs);
  assert.deepEqual(bytes, new Uint8Array([0, 1, 0, 0, 0, 8, 0, 5, 0, 0, 0, 7, 9]));
  assert.deepEqual(decodeTlvs(bytes), tlvs);
  assert.deepEqual(decodeTlvs(bytes.subarray(0, 10)), [tlvs[0]]);
});

test('plaintext: message, NUL, TLVs; without TLVs no NUL', () => {
  assert.deepEqual(encodePlaintext('hé', []), new TextEncoder().encode('hé'));
  const p = encodePlaintext('', [{ type: 1, value: new Uint8Array(0) }]);
  assert.deepEqual(p, new Uint8Array([0, 0, 1, 0, 0]));
  assert.deepEqual(decodePlaintext(p), { text: '', tlvs: [{ type: 1, value: new Uint8Array(0) }] });
  assert.deepEqual(decodePlaintext(new TextEncoder().encode('plain')), { text: 'plain', tlvs: [] });
});
