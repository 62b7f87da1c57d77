import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePlaintext, decodePlaintextIn, decodeTlvs, encodePlaintext, encodeTlvs } from './tlv.ts';

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

test('plaintext text decodes as TextDecoder does (U+FFFD for invalid UTF-8, a leading BOM dropped)', () => {
  const td = new TextDecoder();
  const samples = [[0xef, 0xbb, 0xbf, 0x41], [0xef, 0xbb, 0xbf], [0xef, 0xbb], [0x41, 0xef, 0xbb, 0xbf], [0xc3], [0xed, 0xa0, 0x80, 0x41], [0xf0, 0x9f, 0x98], [0xff, 0xfe, 0x41]];
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    samples.push(Array.from({ length: i % 17 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) || 1));
  }
  for (const s of samples) {
    const bytes = Uint8Array.from(s);
    assert.equal(decodePlaintext(bytes).text, td.decode(bytes), JSON.stringify(s));
    // In place within a larger buffer, the TLVs as copies that outlive it.
    const buf = Buffer.from([9, ...s, 0, 0, 1, 0, 1, 7, 0, 5]);
    const got = decodePlaintextIn(buf, 1, buf.length - 2);
    assert.equal(got.text, td.decode(bytes));
    assert.deepEqual(got.tlvs, [{ type: 1, value: new Uint8Array([7]) }]);
    buf.fill(0);
    assert.deepEqual(got.tlvs[0]!.value, new Uint8Array([7]));
  }
});
