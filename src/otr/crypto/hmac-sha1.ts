// HMAC-SHA1 (RFC 2104) for data messages, with the key's padded inner and outer blocks hashed once per
// key: a message then costs its own blocks plus one outer block. node:crypto's createHmac spends about
// 2 µs per call on set-up alone, more than our whole 100-byte message; the unrolled JS compression
// (sha1-compress.ts) does a block in about 0.1 µs. Above NATIVE_FROM bytes OpenSSL's SHA-1 (SHA-NI)
// takes the inner hash: its fixed ~1 µs per call is then smaller than the JS per-block cost.
import { createHash, hash as nativeHash } from 'node:crypto';
import { sha1Compress } from './sha1-compress.ts';

/** Measured crossover (scratch micro-benchmark, 2 cores): JS below, native inner hash from here. */
const NATIVE_FROM = 768;

const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
/** The last one or two padded blocks of the inner hash, then the outer hash's single block. */
const TAIL = new Uint8Array(128);
/** key ⊕ ipad followed by the message, for the native inner hash. */
let nativeBuf = new Uint8Array(0);

function sha1Native(data: Uint8Array): Uint8Array {
  // crypto.hash (Node ≥ 20.12) is one call without a Hash object.
  return typeof nativeHash === 'function' ? nativeHash('sha1', data, 'buffer') : createHash('sha1').update(data).digest();
}

/** Copies a 5-word state (TypedArray.set costs more than this for five words). */
function copy5(to: Int32Array, from: Int32Array): void {
  to[0] = from[0]!;
  to[1] = from[1]!;
  to[2] = from[2]!;
  to[3] = from[3]!;
  to[4] = from[4]!;
}

function putWord(out: Uint8Array, off: number, v: number): void {
  out[off] = v >>> 24;
  out[off + 1] = v >>> 16;
  out[off + 2] = v >>> 8;
  out[off + 3] = v;
}

/** a is data[off, off + len) (public message bytes: no need for constant time; native memcmp). */
function sameBytes(a: Uint8Array, data: Uint8Array, off: number, len: number): boolean {
  // compare() runs even when the lengths differ, so that both outcomes take the same path.
  return (Buffer.compare(a, data.subarray(off, off + a.length)) === 0) && a.length === len;
}

/** A MAC key with its inner and outer states precomputed. `wipe()` when the key is dropped. */
export class HmacSha1Key {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly s = new Int32Array(5);
  /** key ⊕ ipad, kept only for the native path on long messages. */
  private readonly ipad = new Uint8Array(64);
  /**
   * The inner state after the last message's first whole blocks, and those blocks. A data message starts
   * with the same bytes as the previous one while no key rotates (tags, flags, key ids, the 192-byte next
   * DH key): three of its seven blocks, which then need not be hashed again.
   */
  private readonly prefixState = new Int32Array(5);
  private prefix = new Uint8Array(0);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new RangeError('HmacSha1Key: keys longer than 64 bytes are not supported');
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x36;
    this.ipad.set(pad);
    this.inner.set(IV);
    sha1Compress(this.inner, pad, 0, 1);
    this.prefixState.set(this.inner); // the state after an empty prefix
    for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x5c;
    this.outer.set(IV);
    sha1Compress(this.outer, pad, 0, 1);
    pad.fill(0);
  }

  /**
   * Writes HMAC-SHA1(key, data[off, off+len)) as 20 bytes at out[outOff]. `stable`: how many leading
   * bytes are likely the same as in the previous call (their whole blocks' state is then reused).
   */
  macInto(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number, stable = 0): void {
    const s = this.s;
    const t = TAIL;
    if (len >= NATIVE_FROM) {
      if (nativeBuf.length < 64 + len) nativeBuf = new Uint8Array(Math.max(64 + len, 2 * nativeBuf.length));
      nativeBuf.set(this.ipad, 0);
      nativeBuf.set(data.subarray(off, off + len), 64);
      const h = sha1Native(nativeBuf.subarray(0, 64 + len));
      nativeBuf.fill(0, 0, 64);
      t.set(h, 0);
    } else {
      const full = len >>> 6;
      const preBlocks = Math.min(stable >>> 6, full);
      const pre = preBlocks * 64;
      // The same operations whether the prefix repeats or not (one code path for V8 to optimize: a new
      // key pair per message, as in ping-pong, and one pair for many, as in a one-way stream).
      if (!sameBytes(this.prefix, data, off, pre)) {
        copy5(this.prefixState, this.inner);
        sha1Compress(this.prefixState, data, off, preBlocks);
        // A copy (Buffer's slice would be a view of the very bytes compared next time).
        this.prefix = new Uint8Array(pre);
        this.prefix.set(data.subarray(off, off + pre));
      }
      copy5(s, this.prefixState);
      sha1Compress(s, data, off + pre, full - preBlocks);
      const rest = len & 63;
      const from = off + full * 64;
      for (let i = 0; i < rest; i++) t[i] = data[from + i]!;
      t[rest] = 0x80;
      const end = rest < 56 ? 64 : 128;
      for (let i = rest + 1; i < end - 4; i++) t[i] = 0;
      putWord(t, end - 4, (64 + len) * 8); // messages here stay far below 2^29 bytes
      sha1Compress(s, t, 0, end >>> 6);
      for (let i = 0; i < 5; i++) putWord(t, i * 4, s[i]!);
    }
    // Outer hash: one block, the inner digest then padding for 64 + 20 bytes.
    t[20] = 0x80;
    for (let i = 21; i < 62; i++) t[i] = 0;
    t[62] = (84 * 8) >>> 8;
    t[63] = (84 * 8) & 0xff;
    copy5(s, this.outer);
    sha1Compress(s, t, 0, 1);
    for (let i = 0; i < 5; i++) {
      putWord(out, outOff + i * 4, s[i]!);
      s[i] = 0;
    }
    for (let i = 0; i < 20; i++) t[i] = 0; // the inner digest
  }

  mac(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.macInto(data, 0, data.length, out, 0);
    return out;
  }

  wipe(): void {
    this.inner.fill(0);
    this.outer.fill(0);
    this.ipad.fill(0);
    this.prefixState.fill(0);
    this.prefix = new Uint8Array(0);
  }
}
