// OTR's binary data types (spec "Data types"): BYTE, SHORT, INT, MPI, DATA, CTR, MAC.
// Writer builds a message; Reader parses one and throws OtrParseError on any malformed or truncated input.
import { bigintToBytes, bytesToBigint } from './crypto/bigint.ts';

export class OtrParseError extends Error {
  override name = 'OtrParseError';
}

export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  short(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  int(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** Raw bytes with no length prefix (CTR, MAC, signatures, fixed-size fields). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** DATA: 4-byte length then the bytes. */
  data(bytes: Uint8Array): this {
    return this.int(bytes.length).raw(bytes);
  }

  /** MPI: 4-byte length then the minimal big-endian bytes. */
  mpi(n: bigint): this {
    return this.data(bigintToBytes(n));
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The bytes written so far without a copy; valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new OtrParseError(`truncated ${what}`);
  }

  byte(): number {
    this.need(1, 'BYTE');
    return this.buf[this.pos++]!;
  }

  short(): number {
    this.need(2, 'SHORT');
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  int(): number {
    this.need(4, 'INT');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  raw(n: number, what = 'field'): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  data(): Uint8Array {
    const n = this.int();
    return this.raw(n, 'DATA');
  }

  mpi(): bigint {
    const n = this.int();
    return bytesToBigint(this.raw(n, 'MPI'));
  }

  rest(): Uint8Array {
    return this.raw(this.remaining);
  }

  end(): void {
    if (this.remaining !== 0) throw new OtrParseError(`${this.remaining} unexpected trailing bytes`);
  }
}
