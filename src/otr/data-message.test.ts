import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { decodeDataMessage, encodeDataMessage, sealDataMessage } from './data-message.ts';
import { AesCtrKey, aes128Ctr, counterBlock } from './crypto/aes.ts';
import { HmacSha1Key } from './crypto/hmac-sha1.ts';
import { decodeOtrMessage, decodeOtrMessageShared, readHeader } from './message.ts';
import { encodePlaintext, encodeTlvs } from './tlv.ts';

const TEXTS = ['', 'hello', 'x'.repeat(100), 'é ü 日本 🎉', 'lone \ud800 surrogate', 'nul\u0000inside', 'y'.repeat(3000), 'é'.repeat(6000), 'z'.repeat(20000)];

test('sealDataMessage builds exactly what the reference encoder builds from aes128Ctr and node HMAC', () => {
  const aesKey = randomBytes(16);
  const macKey = randomBytes(20);
  const aes = new AesCtrKey(aesKey);
  const mac = new HmacSha1Key(macKey);
  let n = 0;
  for (const version of [2, 3] as const) {
    for (const text of TEXTS) {
      for (const tlvs of [[], [{ type: 1, value: new Uint8Array(0) }, { type: 8, value: randomBytes(9) }]]) {
        const ctr = new Uint8Array(8);
        ctr[7] = ++n;
        const head = {
          version, senderTag: version === 3 ? 0x100 + n : 0, receiverTag: version === 3 ? 0xfffffff0 : 0, flags: n & 1,
          senderKeyid: randomInt(1, 2 ** 32), recipientKeyid: randomInt(1, 1000), nextDh: randomBytes(192 - (n % 3)), ctr,
          oldMacKeys: randomBytes(20 * (n % 3)),
        };
        const plain = encodePlaintext(text, tlvs);
        const want = encodeDataMessage({ ...head, encrypted: aes128Ctr(aesKey, counterBlock(ctr), plain) }, macKey);
        const got = sealDataMessage({ ...head, text, tlvs: tlvs.length ? encodeTlvs(tlvs) : new Uint8Array(0) }, aes, mac);
        assert.equal(got, want, `v${version} ${JSON.stringify(text.slice(0, 20))} ${tlvs.length} TLVs`);
        const shared = decodeOtrMessageShared(got)!;
        assert.deepEqual(shared, decodeOtrMessage(got));
        const m = decodeDataMessage(shared, readHeader(shared)!);
        assert.deepEqual(m.mac, new HmacSha1Key(macKey).mac(m.authenticated));
      }
    }
  }
});

test('sealing and decoding in the wasm memory still work after it grew', () => {
  const aesKey = randomBytes(16);
  const macKey = randomBytes(20);
  const seal = () => {
    const head = { version: 3 as const, senderTag: 0x100, receiverTag: 0x101, flags: 0, senderKeyid: 1, recipientKeyid: 1, nextDh: randomBytes(192), ctr: randomBytes(8), oldMacKeys: new Uint8Array(0) };
    const want = encodeDataMessage({ ...head, encrypted: aes128Ctr(aesKey, counterBlock(head.ctr), encodePlaintext('hi', [])) }, macKey);
    assert.equal(sealDataMessage({ ...head, text: 'hi', tlvs: new Uint8Array(0) }, new AesCtrKey(aesKey), new HmacSha1Key(macKey)), want);
    assert.deepEqual(decodeOtrMessageShared(want), decodeOtrMessage(want));
  };
  seal();
  const many = Array.from({ length: 1000 }, () => new HmacSha1Key(randomBytes(20)));
  seal();
  for (const k of many) k.wipe();
});
