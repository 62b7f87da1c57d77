// DSA as OTR uses it (1024-bit p, 160-bit q, as libotr): public key encoding, fingerprint, sign, verify.
// Key generation lives in keygen.ts (worker thread); key files in keyfiles.ts.
import { bigintToBytes, bytesToBigint, mod, modInverse } from './crypto/bigint.ts';
import { modPow } from './crypto/modexp.ts';
import { randomBytes } from './crypto/random.ts';
import { sha1 } from './crypto/hash.ts';
import { Reader, Writer, OtrParseError } from './serial.ts';
import type { FingerprintHex } from './api.ts';

export interface DsaPublicKey {
  p: bigint;
  q: bigint;
  g: bigint;
  y: bigint;
}

export interface DsaPrivateKey extends DsaPublicKey {
  x: bigint;
}

/** OTR's public key type for DSA. */
export const PUBKEY_TYPE_DSA = 0x0000;

/** PUBKEY: SHORT type (0x0000) then MPIs p, q, g, y. */
export function encodePublicKey(key: DsaPublicKey): Uint8Array {
  return new Writer(450).short(PUBKEY_TYPE_DSA).mpi(key.p).mpi(key.q).mpi(key.g).mpi(key.y).bytes();
}

export function readPublicKey(r: Reader): DsaPublicKey {
  const type = r.short();
  if (type !== PUBKEY_TYPE_DSA) throw new OtrParseError(`unsupported public key type ${type}`);
  const p = r.mpi();
  const q = r.mpi();
  const g = r.mpi();
  const y = r.mpi();
  return { p, q, g, y };
}

/** libotr's fingerprint: SHA-1 over the public key encoding without its 2-byte type. */
export function fingerprint(key: DsaPublicKey): FingerprintHex {
  return hex(sha1(encodePublicKey(key).subarray(2))).toUpperCase();
}

/** `E9C73904 9D0C6C4B DFCE3E31 24D02EF4 E2612046` */
export function formatFingerprint(fp: FingerprintHex): string {
  return fp.toUpperCase().match(/.{1,8}/g)!.join(' ');
}

function hashToNumber(hash: Uint8Array, q: bigint): bigint {
  // libotr hands libgcrypt the hash as a plain MPI ("(%m)", not an opaque hash), and libgcrypt's
  // _gcry_dsa_normalize_hash truncates only opaque input: the whole 256-bit number is used, which the
  // DSA arithmetic then reduces mod q. Verified against libotr 4.1.1 in both directions.
  return mod(bytesToBigint(hash), q);
}

/** Signature as OTR encodes it: r and s, each as many bytes as q (20), concatenated. */
export function sign(key: DsaPrivateKey, hash: Uint8Array): Uint8Array {
  const qlen = bigintToBytes(key.q).length;
  const h = hashToNumber(hash, key.q);
  for (;;) {
    const k = mod(bytesToBigint(randomBytes(qlen + 8)), key.q - 1n) + 1n;
    const r = mod(modPow(key.g, k, key.p), key.q);
    if (r === 0n) continue;
    const s = mod(modInverse(k, key.q) * (h + key.x * r), key.q);
    if (s === 0n) continue;
    const out = new Uint8Array(qlen * 2);
    out.set(bigintToBytes(r, qlen), 0);
    out.set(bigintToBytes(s, qlen), qlen);
    return out;
  }
}

export function verify(key: DsaPublicKey, hash: Uint8Array, signature: Uint8Array): boolean {
  const qlen = bigintToBytes(key.q).length;
  if (signature.length !== qlen * 2) return false;
  const r = bytesToBigint(signature.subarray(0, qlen));
  const s = bytesToBigint(signature.subarray(qlen));
  if (r <= 0n || r >= key.q || s <= 0n || s >= key.q) return false;
  const w = modInverse(s, key.q);
  const h = hashToNumber(hash, key.q);
  const u1 = mod(h * w, key.q);
  const u2 = mod(r * w, key.q);
  const v = mod((modPow(key.g, u1, key.p) * modPow(key.y, u2, key.p)) % key.p, key.q);
  return v === r;
}

export function publicPart(key: DsaPrivateKey): DsaPublicKey {
  return { p: key.p, q: key.q, g: key.g, y: key.y };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
