import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { HmacSha1Key } from './hmac-sha1.ts';
import { SLOT_SIZE } from './sha1-wasm.ts';
import { DECODE, heap } from './wasm-heap.ts';

const NATIVE_FROM_TEST = 1280;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('RFC 2202 test cases 1, 2 and 6', () => {
  assert.equal(hex(new HmacSha1Key(new Uint8Array(20).fill(0x0b)).mac(Buffer.from('Hi There'))), 'b617318655057264e28bc0b6fb378c8ef146be00');
  assert.equal(hex(new HmacSha1Key(Buffer.from('Jefe')).mac(Buffer.from('what do ya want for nothing?'))), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  // Key of 80 bytes is over a block: not supported (OTR's MAC keys are 20 bytes).
  assert.throws(() => new HmacSha1Key(new Uint8Array(80)), RangeError);
});

test('equals node:crypto for every length around the block and native-path boundaries', () => {
  const key = randomBytes(20);
  const k = new HmacSha1Key(key);
  const data = randomBytes(3000);
  const lengths = [...Array(200).keys(), 700, 767, 768, 769, 1000, 1279, 1280, 1281, 2999, 3000];
  for (const len of lengths) {
    const want = createHmac('sha1', key).update(data.subarray(0, len)).digest('hex');
    assert.equal(hex(k.mac(data.subarray(0, len))), want, `length ${len}`);
  }
});

test('macInto reads a range and writes at an offset; keys of 0..64 bytes', () => {
  for (let kl = 0; kl <= 64; kl += 8) {
    const key = randomBytes(kl);
    const data = randomBytes(400);
    const out = new Uint8Array(30);
    new HmacSha1Key(key).macInto(data, 7, 333, out, 5);
    assert.equal(hex(out.subarray(5, 25)), createHmac('sha1', key).update(data.subarray(7, 340)).digest('hex'));
    assert.deepEqual(out.subarray(0, 5), new Uint8Array(5));
  }
});

test('wipe zeroes the key\'s slot in the wasm memory and its ipad; the key is unusable after', () => {
  const k = new HmacSha1Key(randomBytes(20));
  k.mac(randomBytes(100));
  const slot = (k as unknown as { slot: number }).slot;
  assert.ok(heap().subarray(slot, slot + SLOT_SIZE).some((x) => x !== 0));
  k.wipe();
  assert.ok(heap().subarray(slot, slot + SLOT_SIZE).every((x) => x === 0));
  assert.ok((k as unknown as { ipad: Uint8Array }).ipad.every((x) => x === 0));
  assert.throws(() => k.mac(new Uint8Array(1)), /after wipe/);
});

test('verify accepts the MAC and rejects any change, in and outside the wasm memory', () => {
  const key = randomBytes(20);
  const k = new HmacSha1Key(key);
  for (const len of [0, 55, 56, 64, 300, 767, 768, 1279, 1280, 2000]) {
    const data = randomBytes(len);
    const mac = createHmac('sha1', key).update(data).digest();
    assert.ok(k.verify(data, 0, len, mac, 0), `length ${len}`);
    const bad = Buffer.from(mac);
    bad[19] ^= 1;
    assert.ok(!k.verify(data, 0, len, bad, 0), `length ${len}, bad MAC`);
    if (len >= NATIVE_FROM_TEST) continue;
    // The same message and MAC inside the memory (the decode buffer's case).
    const h = heap();
    h.set(data, DECODE);
    h.set(mac, DECODE + len);
    const view = h.subarray(DECODE, DECODE + len + 20);
    assert.ok(k.verify(view, 0, len, view, len, 64), `length ${len} in the heap`);
    view[len] ^= 0x80;
    assert.ok(!k.verify(view, 0, len, view, len, 64), `length ${len} in the heap, bad MAC`);
  }
});

test('a repeated prefix reuses its state, and a changed one (also in a reused Buffer) does not', () => {
  const key = randomBytes(20);
  const k = new HmacSha1Key(key);
  const buf = Buffer.alloc(400);
  for (let i = 0; i < 40; i++) {
    // Mostly the same first 216 bytes; sometimes one byte of them changes, in place.
    if (i % 3 === 0) buf[i % 216] ^= 0x55;
    randomBytes(100).copy(buf, 216 + (i % 50));
    const len = 300 + (i % 60);
    const want = createHmac('sha1', key).update(buf.subarray(0, len)).digest('hex');
    const out = new Uint8Array(20);
    k.macInto(buf, 0, len, out, 0, 216);
    assert.equal(hex(out), want, `message ${i}`);
  }
});

test('many keys grow the wasm memory; keys made before and after still compute the right MACs', () => {
  const keys = Array.from({ length: 700 }, () => randomBytes(20));
  const hk = keys.map((k) => new HmacSha1Key(k));
  const data = randomBytes(300);
  for (const i of [0, 1, 255, 256, 699]) {
    assert.equal(hex(hk[i]!.mac(data)), createHmac('sha1', keys[i]!).update(data).digest('hex'), `key ${i}`);
  }
  const h = heap();
  h.set(data, DECODE);
  h.set(createHmac('sha1', keys[699]!).update(data).digest(), DECODE + 300);
  const view = h.subarray(DECODE, DECODE + 320);
  assert.ok(hk[699]!.verify(view, 0, 300, view, 300, 0));
  for (const k of hk) k.wipe();
});
