// Password storage: `scrypt$N$r$p$salt$hash` (node:crypto scrypt, base64 salt and hash).
// Verification is constant-time, for hashed and plain-text stored passwords alike.
import { scrypt as scryptCb, randomBytes, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

export const SCRYPT_PREFIX = 'scrypt$';
/** 2^15 × 8 × 1: about 32 MiB and some tens of ms per hash; slow for guessing, fine for logins. */
export const DEFAULT_SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Upper bounds for parameters read from a config file, so a bad entry cannot exhaust memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
/** scrypt's working memory (128·N·r bytes) for a stored hash may not exceed this. */
const MAX_MEM = 256 * 1024 * 1024;

function scrypt(password: string | Buffer, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function memFor(N: number, r: number, p: number): number {
  // scrypt needs 128·N·r bytes (plus 128·r·p); leave headroom over Node's 32 MiB default maxmem.
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

export interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses a stored `scrypt$…` string; undefined when it is not one (or has out-of-range parameters). */
export function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (!/^\d+$/.test(n) || !/^\d+$/.test(r) || !/^\d+$/.test(p)) return undefined;
  const N = Number(n), R = Number(r), P = Number(p);
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || R < 1 || R > MAX_R || P < 1 || P > MAX_P) return undefined;
  if (128 * N * R > MAX_MEM) return undefined;
  const b64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!b64.test(salt) || !b64.test(hash)) return undefined;
  const s = Buffer.from(salt, 'base64');
  const h = Buffer.from(hash, 'base64');
  if (s.length < 8 || h.length < 16 || h.length > 64) return undefined;
  return { N, r: R, p: P, salt: s, hash: h };
}

/** True when `stored` is in the `scrypt$N$r$p$salt$hash` form (anything else is taken as plain text). */
export function isHashed(stored: string): boolean {
  return parseHash(stored) !== undefined;
}

/** True when `stored` claims to be a scrypt hash (`scrypt$…`) but cannot be used as one. */
export function isMalformedHash(stored: string): boolean {
  return stored.startsWith(SCRYPT_PREFIX) && !isHashed(stored);
}

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = params;
  const hash = await scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N, r, p, maxmem: memFor(N, r, p) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Compares a login password with the stored form in constant time. A stored plain-text password is
 * compared through SHA-256 of both sides, so neither the length nor a common prefix leaks through timing.
 */
export async function verifyPassword(stored: string, given: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined && stored.startsWith(SCRYPT_PREFIX)) {
    // A broken hash never matches, not even its own text typed as a password.
    return false;
  }
  if (parsed === undefined) {
    const a = createHash('sha256').update(stored.normalize('NFC')).digest();
    const b = createHash('sha256').update(given.normalize('NFC')).digest();
    return timingSafeEqual(a, b);
  }
  const { N, r, p, salt, hash } = parsed;
  const got = await scrypt(given.normalize('NFC'), salt, hash.length, { N, r, p, maxmem: memFor(N, r, p) });
  return timingSafeEqual(got, hash);
}
