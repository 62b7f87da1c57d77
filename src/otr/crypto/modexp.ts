// Modular exponentiation, the hot path of OTR (DH, DSA, SMP).
// node:crypto's DiffieHellman computes base^exponent mod p natively (OpenSSL BN_mod_exp):
// setPrivateKey(exponent) then computeSecret(base). Measured several times faster than BigInt
// square-and-multiply (docs/ARCHITECTURE.md). One engine object is kept per modulus.
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import { bigintToBytes, bytesToBigint, mod } from './bigint.ts';

// OpenSSL refuses DH moduli below 512 bits; those are rare here and cheap in BigInt.
const MIN_NATIVE_MODULUS = 1n << 511n;
const engines = new Map<bigint, { dh: DiffieHellman; bytes: number }>();

function engineFor(modulus: bigint): { dh: DiffieHellman; bytes: number } {
  let e = engines.get(modulus);
  if (!e) {
    const bytes = Math.ceil(modulus.toString(16).length / 2);
    const dh = createDiffieHellman(Buffer.from(bigintToBytes(modulus)), Buffer.from([2]));
    e = { dh, bytes };
    engines.set(modulus, e);
  }
  return e;
}

/**
 * How many modPow calls ran (benchmark accounting: bench/otr.ts reports modexps per workload);
 * `belowGroup` counts those with a modulus under 1536 bits (DSA's 1024-bit p), apart from DH and SMP.
 */
export const modexpCounter = { count: 0, belowGroup: 0 };
const GROUP_MODULUS_MIN = 1n << 1535n;

/** base^exponent mod modulus, for an odd modulus > 3 and exponent >= 0. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (exponent < 0n) throw new RangeError('modPow: negative exponent');
  modexpCounter.count++;
  if (modulus < GROUP_MODULUS_MIN) modexpCounter.belowGroup++;
  const b = mod(base, modulus);
  if (exponent === 0n) return 1n;
  // OpenSSL refuses "public keys" outside 1 < y < p-1; those bases are trivial anyway.
  if (b <= 1n) return b;
  if (b === modulus - 1n) return exponent & 1n ? b : 1n;
  if (modulus < MIN_NATIVE_MODULUS) return modPowBigint(b, exponent, modulus);
  const { dh, bytes } = engineFor(modulus);
  dh.setPrivateKey(Buffer.from(bigintToBytes(exponent)));
  return bytesToBigint(dh.computeSecret(Buffer.from(bigintToBytes(b, bytes))));
}

/** Reference implementation, used by tests to check the native path. */
export function modPowBigint(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = mod(base, modulus);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}
