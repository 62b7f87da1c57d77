// HMAC-SHA1 (RFC 2104) for data messages, with the key's padded inner and outer blocks hashed once per
// key: a message then costs its own blocks plus one outer block. node:crypto's createHmac spends about
// 2 µs per call on set-up alone, more than our whole 100-byte message. The hashing runs in WebAssembly
// (sha1-wasm.ts, ≈0.1 µs a block, compiled before the first message); the key's states live in a slot
// of the module's memory (wasm-heap.ts). Above NATIVE_FROM bytes OpenSSL's SHA-1 (SHA-NI) takes the
// inner hash: its fixed ~1 µs per call is then smaller than the per-block cost.
import { createHash, hash as nativeHash, timingSafeEqual } from 'node:crypto';
import { OUT, TAIL } from './sha1-wasm.ts';
import { INPUT, INPUT_CAP, allocSlot, freeSlot, heap, inHeap, sha1Wasm } from './wasm-heap.ts';

/** Measured crossover (wasm hmac against OpenSSL's inner hash, 2 cores): wasm below, native from here. */
const NATIVE_FROM = 1280;
if (NATIVE_FROM > INPUT_CAP) throw new Error('hmac-sha1: the INPUT region must hold what the wasm path hashes');

const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
/** key ⊕ ipad followed by the message, for the native inner hash. */
let nativeBuf = new Uint8Array(0);
const macScratch = new Uint8Array(20);

function sha1Native(data: Uint8Array): Uint8Array {
  // crypto.hash (Node ≥ 20.12) is one call without a Hash object.
  return typeof nativeHash === 'function' ? nativeHash('sha1', data, 'buffer') : createHash('sha1').update(data).digest();
}

/** Slots of keys that were garbage-collected without wipe(): zeroed and reused. */
const unwiped = new FinalizationRegistry<number>(freeSlot);

/**
 * A MAC key with its inner and outer states precomputed. The slot also keeps the state after the last
 * message's first whole blocks and those blocks: a data message starts with the same bytes as the
 * previous one while no key rotates (tags, flags, key ids, the 192-byte next DH key), three of its
 * seven blocks, which then need not be hashed again. `wipe()` when the key is dropped.
 */
export class HmacSha1Key {
  private slot: number;
  /** key ⊕ ipad, kept only for the native path on long messages. */
  private readonly ipad = new Uint8Array(64);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new RangeError('HmacSha1Key: keys longer than 64 bytes are not supported');
    this.slot = allocSlot();
    unwiped.register(this, this.slot, this);
    const h = heap();
    for (let i = 0; i < 64; i++) this.ipad[i] = (key[i] ?? 0) ^ 0x36;
    h.set(this.ipad, TAIL);
    this.initState(h, 0);
    for (let i = 0; i < 64; i++) h[TAIL + i] = (key[i] ?? 0) ^ 0x5c;
    this.initState(h, 20);
    h.fill(0, TAIL, TAIL + 64);
    h.copyWithin(this.slot + 40, this.slot, this.slot + 20); // the state after an empty prefix
  }

  /** The state at slot+at: the IV, then the padded key block in TAIL. */
  private initState(h: Uint8Array, at: number): void {
    const w = new DataView(h.buffer, h.byteOffset + this.slot + at, 20);
    for (let i = 0; i < 5; i++) w.setInt32(4 * i, IV[i]!, true);
    sha1Wasm.compress(this.slot + at, TAIL, 1);
  }

  /**
   * Writes HMAC-SHA1(key, data[off, off+len)) as 20 bytes at out[outOff]. `stable`: how many leading
   * bytes are likely the same as in the previous call (their whole blocks' state is then reused).
   */
  macInto(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number, stable = 0): void {
    const slot = this.usable();
    const outAt = inHeap(out) ? out.byteOffset + outOff : OUT;
    if (len >= NATIVE_FROM) {
      if (nativeBuf.length < 64 + len) nativeBuf = new Uint8Array(Math.max(64 + len, 2 * nativeBuf.length));
      nativeBuf.set(this.ipad, 0);
      nativeBuf.set(data.subarray(off, off + len), 64);
      const d = sha1Native(nativeBuf.subarray(0, 64 + len));
      nativeBuf.fill(0, 0, 64);
      heap().set(d, TAIL);
      sha1Wasm.outer(slot, outAt);
    } else if (inHeap(data)) {
      sha1Wasm.hmac(slot, data.byteOffset + off, len, outAt, stable);
    } else {
      const h = heap();
      h.set(data.subarray(off, off + len), INPUT);
      sha1Wasm.hmac(slot, INPUT, len, outAt, stable);
      h.fill(0, INPUT, INPUT + len);
    }
    if (outAt === OUT) {
      const h = heap();
      for (let i = 0; i < 20; i++) out[outOff + i] = h[OUT + i]!;
      h.fill(0, OUT, OUT + 20);
    }
  }

  /** Whether `mac` (20 bytes at macOff) is the MAC of data[off, off+len), compared in constant time. */
  verify(data: Uint8Array, off: number, len: number, mac: Uint8Array, macOff: number, stable = 0): boolean {
    const slot = this.usable();
    if (len < NATIVE_FROM && inHeap(data) && inHeap(mac)) {
      return sha1Wasm.verify(slot, data.byteOffset + off, len, mac.byteOffset + macOff, stable) === 1;
    }
    this.macInto(data, off, len, macScratch, 0, stable);
    const ok = timingSafeEqual(macScratch, mac.subarray(macOff, macOff + 20));
    macScratch.fill(0);
    return ok;
  }

  mac(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.macInto(data, 0, data.length, out, 0);
    return out;
  }

  private usable(): number {
    if (this.slot === 0) throw new Error('HmacSha1Key: used after wipe');
    return this.slot;
  }

  wipe(): void {
    if (this.slot === 0) return;
    unwiped.unregister(this);
    freeSlot(this.slot);
    this.slot = 0;
    this.ipad.fill(0);
  }
}
