// Randomness for keys, nonces and exponents: the platform CSPRNG only.
import { bytesToBigint } from './bigint.ts';

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let off = 0; off < length; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(length, off + 65536)));
  }
  return out;
}

/** A random exponent of `bytes` bytes (OTR: 40 bytes for DH keys, 192 for SMP). */
export function randomExponent(bytes: number): bigint {
  return bytesToBigint(randomBytes(bytes));
}
