// AES-128-CTR, the cipher of OTR's AKE and data messages, with OpenSSL (AES-NI, constant time) doing
// the block cipher. The AKE encrypts a few messages per session with aes128Ctr. Data messages reuse one
// AesCtrKey per session key: createCipheriv costs about 2.5 µs per call, and even a kept ECB context's
// update() about 1.7 µs before its first byte, so key stream is computed ahead, for up to 32 messages.
import { createCipheriv, type Cipher } from 'node:crypto';
import { BLOCK_SIZE, CTRS, CTRS_CAP, KS, KS_CAP, allocBlock, freeBlock, heap, inHeap, sha1Wasm } from './wasm-heap.ts';

/** Encrypts or decrypts (the same in CTR mode) `data` with a 16-byte key and 16-byte initial counter block. */
export function aes128Ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 16 || counter.length !== 16) throw new RangeError('aes128Ctr: key and counter must be 16 bytes');
  const c = createCipheriv('aes-128-ctr', key, counter);
  const out = c.update(data);
  c.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The AKE's counter: zero. The data message counter: top 8 bytes given, low 8 zero. */
export function counterBlock(top8?: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  if (top8) b.set(top8, 0);
  return b;
}

/** Key stream held ahead per AesCtrKey: at most this many bytes (its block in the wasm memory), and this many counters. */
const MAX_CACHE_BYTES = BLOCK_SIZE;
const MAX_AHEAD = 32;
const EMPTY32 = new Int32Array(0);

/** Counter blocks of a long message's own key stream (not secret; the others are made in CTRS), grown as needed. */
let longCounters = new Int32Array(0);
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The int32 whose bytes in memory are the big-endian encoding of v. */
function beWord(v: number): number {
  return LITTLE_ENDIAN ? ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) : v | 0;
}


/**
 * One AES-128 key for data messages: the counter blocks of a message are top8 ‖ 0, top8 ‖ 1, … (spec
 * "Data Message"), and each message has the next top8 of its key pair. The key stream of the next
 * counters is computed ahead in one OpenSSL call (up to MAX_AHEAD messages, doubling while the counters
 * keep coming in order) into the key's block of the wasm memory, where a message (built or read in the
 * same memory) is XORed with it in one wasm call that also zeroes the key stream it used. Unused key
 * stream is zeroed at the next refill and by wipe() (or, for a key dropped without it, by a
 * FinalizationRegistry before the block is reused).
 */
export class AesCtrKey {
  private ecb: Cipher | undefined;
  /** This key's block in the wasm memory: key stream for counters base … base+ahead−1, `span` bytes each. */
  private block: number;
  private baseHi = 0;
  private baseLo = 0;
  private ahead = 0;
  private span = 0;
  /** Bit j set: the key stream of counter base+j is present and unused. */
  private avail = 0;
  /** How many counters the next refill computes. */
  private nextAhead = 1;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('AesCtrKey: the key must be 16 bytes');
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
    this.block = allocBlock();
    unwiped.register(this, this.block, this);
  }

  /** Encrypts or decrypts data[off, off+len) in place with the counter whose top 8 bytes are ctr8[c, c+8). */
  xorInPlace(ctr8: Uint8Array, data: Uint8Array, off: number, len: number, c = 0): void {
    if (!this.ecb) throw new Error('AesCtrKey: used after wipe');
    if (!(off >= 0 && len >= 0 && off + len <= data.length)) throw new RangeError('AesCtrKey: range outside the data');
    if (!(c >= 0 && c + 8 <= ctr8.length)) throw new RangeError('AesCtrKey: the counter must be 8 bytes');
    if (len === 0) return;
    const hi = ((ctr8[c]! << 24) | (ctr8[c + 1]! << 16) | (ctr8[c + 2]! << 8) | ctr8[c + 3]!) >>> 0;
    const lo = ((ctr8[c + 4]! << 24) | (ctr8[c + 5]! << 16) | (ctr8[c + 6]! << 8) | ctr8[c + 7]!) >>> 0;
    const n = Math.ceil(len / 16);
    if (n * 16 > MAX_CACHE_BYTES / 2) {
      // Long messages: their own key stream, nothing ahead.
      const ks = this.keystream(hi, lo, 1, n * 16);
      xorKeyStream(data, off, ks, len);
      ks.fill(0);
      return;
    }
    let j = hi === this.baseHi ? (lo - this.baseLo) >>> 0 : MAX_AHEAD;
    // All three tests always run (no short circuit): a new key (refill) and a cached one (hit) then
    // take the same path, and V8 keeps one optimization for both.
    const miss = Number(j >= this.ahead) | Number((this.avail & (1 << (j & 31))) === 0) | Number(len > this.span);
    if (miss) {
      this.refill(hi, lo, n * 16);
      j = 0;
    }
    // The last counter computed ahead is used: the next refill looks twice as far.
    if (j === this.ahead - 1 && this.nextAhead < MAX_AHEAD) this.nextAhead *= 2;
    const at = this.block + j * this.span;
    if (inHeap(data)) sha1Wasm.xor(data.byteOffset + off, at, len, this.span);
    else {
      const h = heap();
      xorBytes(data, off, h, wordsOf(h), at, len);
      h.fill(0, at, at + this.span);
    }
    this.avail &= ~(1 << j);
  }

  private refill(hi: number, lo: number, need: number): void {
    const h = heap();
    h.fill(0, this.block, this.block + this.ahead * this.span);
    const span = Math.max(need, 128);
    const ahead = Math.max(1, Math.min(this.nextAhead, Math.floor(MAX_CACHE_BYTES / span)));
    const ks = this.keystream(hi, lo, ahead, span);
    h.set(ks, this.block);
    ks.fill(0);
    this.baseHi = hi;
    this.baseLo = lo;
    this.ahead = ahead;
    this.span = span;
    this.avail = ahead === 32 ? -1 : (1 << ahead) - 1;
  }

  /** Key stream for `count` consecutive counters from (hi, lo), `bytes` (a multiple of 16) each. */
  private keystream(hi: number, lo: number, count: number, bytes: number): Uint8Array {
    const per = bytes >>> 4;
    const words = count * per * 4;
    if (words * 4 <= CTRS_CAP) {
      // Written by wasm (no JS loop to warm up), read by OpenSSL from the wasm memory.
      sha1Wasm.counters(CTRS, hi, lo, count, per);
      const ks = this.ecb!.update(new Uint8Array(heap().buffer, CTRS, words * 4));
      return new Uint8Array(ks.buffer, ks.byteOffset, ks.length);
    }
    if (longCounters.length < words) longCounters = new Int32Array(Math.max(words, 2 * longCounters.length));
    const w = longCounters;
    let p = 0;
    for (let c = 0; c < count; c++) {
      const l = (lo + c) >>> 0;
      const h = l < lo ? (hi + 1) >>> 0 : hi; // carry into the high word
      const w0 = beWord(h);
      const w1 = beWord(l);
      for (let i = 0; i < per; i++, p += 4) {
        w[p] = w0;
        w[p + 1] = w1;
        w[p + 2] = 0;
        w[p + 3] = beWord(i);
      }
    }
    const ks = this.ecb!.update(new Uint8Array(w.buffer, 0, words * 4));
    return new Uint8Array(ks.buffer, ks.byteOffset, ks.length);
  }

  /** Zeroes the key stream held ahead and ends the OpenSSL context, which clears its key schedule. */
  wipe(): void {
    if (!this.ecb) return;
    unwiped.unregister(this);
    freeBlock(this.block);
    this.avail = 0;
    this.ahead = 0;
    this.ecb.final();
    this.ecb = undefined;
  }
}

/** Blocks of keys that were garbage-collected without wipe(): zeroed and reused. */
const unwiped = new FinalizationRegistry<number>(freeBlock);

/**
 * data[off…off+len) ^= ks[0…len) for a long message's own key stream (outside the wasm memory): in the
 * memory, XORed in chunks after copies of the key stream, which xor() zeroes.
 */
function xorKeyStream(data: Uint8Array, off: number, ks: Uint8Array, len: number): void {
  if (!inHeap(data)) {
    xorBytes(data, off, ks, wordsOf(ks), 0, len);
    return;
  }
  const h = heap();
  for (let done = 0; done < len; done += KS_CAP) {
    const n = Math.min(KS_CAP, len - done);
    h.set(ks.subarray(done, done + n), KS);
    sha1Wasm.xor(data.byteOffset + off + done, KS, n, n);
  }
}

/** The whole words of `a` (empty when it is not word-aligned). */
function wordsOf(a: Uint8Array): Int32Array {
  return (a.byteOffset & 3) === 0 ? new Int32Array(a.buffer, a.byteOffset, a.length >>> 2) : EMPTY32;
}

/**
 * data[off…off+len) ^= ks[at…at+len) (k32: ks's words), four bytes at a time where both are word-aligned.
 * Only for data outside the wasm memory (a message too long for it, or a caller's own array).
 */
function xorBytes(data: Uint8Array, off: number, ks: Uint8Array, k32: Int32Array, at: number, len: number): void {
  let i = 0;
  const d0 = data.byteOffset + off;
  if ((d0 & 3) === 0 && (at & 3) === 0 && k32.length > 0 && len >= 16) {
    const words = len >>> 2;
    const d32 = new Int32Array(data.buffer, d0, words);
    const kw = at >>> 2;
    for (let j = 0; j < words; j++) d32[j] ^= k32[kw + j]!;
    i = words * 4;
  }
  for (; i < len; i++) data[off + i] ^= ks[at + i]!;
}
