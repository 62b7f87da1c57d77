import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { AesCtrKey, aes128Ctr, counterBlock } from './aes.ts';
import { BLOCK_SIZE, DECODE, KS, KS_CAP, SEAL, heap } from './wasm-heap.ts';

/** The reference: OpenSSL's own CTR mode with the 16-byte counter block top8 ‖ 0⁸. */
function reference(key: Uint8Array, top8: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-ctr', key, counterBlock(top8));
  return Buffer.concat([c.update(data), c.final()]);
}

test('aes128Ctr: FIPS 197 key, NIST SP 800-38A F.5.1 first block', () => {
  const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
  const ctr = Buffer.from('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
  const out = aes128Ctr(key, ctr, Buffer.from('6bc1bee22e409f96e93d7e117393172a', 'hex'));
  assert.equal(Buffer.from(out).toString('hex'), '874d6191b620e3261bef6864990db6ce');
});

test('AesCtrKey equals CTR mode for in-order, repeated, jumping and wrapping counters and any length', () => {
  for (let trial = 0; trial < 60; trial++) {
    const key = randomBytes(16);
    const k = new AesCtrKey(key);
    const ctr = new Uint8Array(8);
    const dv = new DataView(ctr.buffer);
    dv.setUint32(0, trial % 3 === 0 ? 0xffffffff : randomInt(0, 5));
    dv.setUint32(4, trial % 2 ? 0xfffffff0 : randomInt(0, 100));
    for (let m = 0; m < 80; m++) {
      const r = Math.random();
      if (r < 0.85) {
        const lo = dv.getUint32(4) + 1;
        if (lo > 0xffffffff) {
          dv.setUint32(4, 0);
          dv.setUint32(0, (dv.getUint32(0) + 1) >>> 0);
        } else dv.setUint32(4, lo);
      } else if (r < 0.92) dv.setUint32(4, randomInt(0, 2 ** 32 - 1));
      // else: the same counter again (must not reuse zeroed key stream)
      const len = Math.random() < 0.8 ? randomInt(0, 300) : randomInt(0, 5000);
      const shift = randomInt(0, 5);
      const data = randomBytes(len);
      const buf = new Uint8Array(len + 10);
      buf.set(data, shift);
      k.xorInPlace(ctr, buf, shift, len);
      assert.deepEqual(Buffer.from(buf.subarray(shift, shift + len)), reference(key, ctr, data), `trial ${trial} message ${m} length ${len}`);
      assert.ok(buf.subarray(0, shift).every((x) => x === 0) && buf.subarray(shift + len).every((x) => x === 0));
    }
    k.wipe();
  }
});

test('AesCtrKey refuses bad arguments and use after wipe', () => {
  assert.throws(() => new AesCtrKey(new Uint8Array(15)), RangeError);
  const k = new AesCtrKey(randomBytes(16));
  assert.throws(() => k.xorInPlace(new Uint8Array(8), new Uint8Array(4), 2, 3), RangeError);
  k.wipe();
  assert.throws(() => k.xorInPlace(new Uint8Array(8), new Uint8Array(4), 0, 4), /after wipe/);
});

test('AesCtrKey keeps its key stream in its block of the wasm memory, zeroes what it used and all of it on wipe', () => {
  const k = new AesCtrKey(randomBytes(16));
  const held = k as unknown as { block: number; span: number; avail: number; ahead: number };
  const h = heap();
  const ctr = new Uint8Array(8);
  for (let i = 1; i <= 6; i++) {
    ctr[7] = i;
    // Odd counters on a caller's own array, even ones in the wasm memory.
    if (i % 2) k.xorInPlace(ctr, new Uint8Array(100), 0, 100);
    else k.xorInPlace(ctr, h, SEAL, 100);
  }
  assert.ok(held.ahead > 1 && held.avail !== 0, 'key stream is held ahead');
  for (let j = 0; j < held.ahead; j++) {
    const span = h.subarray(held.block + j * held.span, held.block + (j + 1) * held.span);
    if (held.avail & (1 << j)) assert.ok(span.some((x) => x !== 0), `unused span ${j} holds key stream`);
    else assert.ok(span.every((x) => x === 0), `used span ${j} is zero`);
  }
  const block = held.block;
  k.wipe();
  assert.ok(h.subarray(block, block + BLOCK_SIZE).every((x) => x === 0));
  h.fill(0, SEAL, SEAL + 100);
});

test('AesCtrKey on messages in the wasm memory (XORed there): CTR mode at any length, and the key stream copy zeroed', () => {
  const key = randomBytes(16);
  const aes = new AesCtrKey(key);
  const h = heap();
  for (const len of [1, 7, 8, 15, 16, 17, 100, 511, 512, 513, 2000, 2048, 2049, 4096, 5000, 9001]) {
    const top8 = randomBytes(8);
    const plain = randomBytes(len);
    const at = DECODE + 7; // not word-aligned
    h.set(plain, at);
    aes.xorInPlace(top8, h, at, len);
    assert.deepEqual(Buffer.from(h.subarray(at, at + len)), reference(key, top8, plain), `length ${len}`);
    assert.ok(h.subarray(KS, KS + KS_CAP).every((b) => b === 0), `key stream copy left after length ${len}`);
  }
  h.fill(0, DECODE, DECODE + 9010);
});
