// Conversions between big-endian byte strings and bigint, and the little modular helpers the protocol needs.

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'));
}

/** Big-endian minimal encoding (no leading zero bytes; 0 encodes as zero bytes), or left-padded to `length`. */
export function bigintToBytes(n: bigint, length?: number): Uint8Array {
  if (n < 0n) throw new RangeError('bigintToBytes: negative number');
  let hex = n === 0n ? '' : n.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const minimal = hex.length / 2;
  const len = length ?? minimal;
  if (minimal > len) throw new RangeError(`bigintToBytes: ${minimal} bytes do not fit in ${len}`);
  const out = new Uint8Array(len);
  // Buffer's hex decoder is native: far faster than parsing byte by byte.
  if (minimal > 0) out.set(Buffer.from(hex, 'hex'), len - minimal);
  return out;
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Modular inverse by the extended Euclidean algorithm; throws when none exists. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('modInverse: not invertible');
  return mod(oldS, m);
}
