// Diffie-Hellman as OTR uses it (spec "Diffie-Hellman"): the 1536-bit MODP group of RFC 3526, g = 2,
// private exponents of 320 bits (as libotr), and the key derivations of the AKE and data messages.
import { bigintToBytes } from './crypto/bigint.ts';
import { modPow } from './crypto/modexp.ts';
import { randomExponent } from './crypto/random.ts';
import { sha1, sha256 } from './crypto/hash.ts';
import { wipe } from './crypto/constant-time.ts';

export const DH_P = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1' +
    '29024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245' +
    'E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D' +
    'C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D' +
    '670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF',
);
export const DH_G = 2n;
/** (p-1)/2, the order of the subgroup SMP works in. */
export const DH_Q = (DH_P - 1n) / 2n;

export interface DhKeyPair {
  priv: bigint;
  pub: bigint;
}

/** A fresh keypair: 320-bit random exponent (libotr's DH1536 private key size). */
export function generateKeyPair(): DhKeyPair {
  const priv = randomExponent(40);
  return { priv, pub: modPow(DH_G, priv, DH_P) };
}

/** libotr's otrl_dh_is_inrange: 2 <= y <= p-2. */
export function isValidPublic(y: bigint): boolean {
  return y >= 2n && y <= DH_P - 2n;
}

export function sharedSecret(ours: DhKeyPair, theirPub: bigint): bigint {
  if (!isValidPublic(theirPub)) throw new RangeError('DH public key out of range');
  return modPow(theirPub, ours.priv, DH_P);
}

/** MPI encoding of s (4-byte length + minimal bytes), with one leading byte left free for the derivation tag. */
function taggedSecret(s: bigint): Uint8Array {
  const bytes = bigintToBytes(s);
  const out = new Uint8Array(5 + bytes.length);
  out[1] = (bytes.length >>> 24) & 0xff;
  out[2] = (bytes.length >>> 16) & 0xff;
  out[3] = (bytes.length >>> 8) & 0xff;
  out[4] = bytes.length & 0xff;
  out.set(bytes, 5);
  wipe(bytes);
  return out;
}

/** The AKE's keys (spec "Revealing the signature"): h2(b) = SHA256(b || MPI(s)). */
export interface AkeKeys {
  ssid: Uint8Array; // 8 bytes
  c: Uint8Array; // 16
  cPrime: Uint8Array; // 16
  m1: Uint8Array; // 32
  m2: Uint8Array;
  m1Prime: Uint8Array;
  m2Prime: Uint8Array;
}

export function deriveAkeKeys(s: bigint): AkeKeys {
  const buf = taggedSecret(s);
  const h2 = (b: number): Uint8Array => {
    buf[0] = b;
    return sha256(buf);
  };
  const ssid = h2(0x00).slice(0, 8);
  const cc = h2(0x01);
  const keys: AkeKeys = {
    ssid,
    c: cc.slice(0, 16),
    cPrime: cc.slice(16, 32),
    m1: h2(0x02),
    m2: h2(0x03),
    m1Prime: h2(0x04),
    m2Prime: h2(0x05),
  };
  wipe(cc, buf);
  return keys;
}

export function wipeAkeKeys(k: AkeKeys | undefined): void {
  if (k) wipe(k.ssid, k.c, k.cPrime, k.m1, k.m2, k.m1Prime, k.m2Prime);
}

/** One pair of data-message session keys (spec "Data exchange"). */
export interface SessionKeys {
  sendAes: Uint8Array;
  sendMac: Uint8Array;
  recvAes: Uint8Array;
  recvMac: Uint8Array;
  extraKey: Uint8Array; // 32 bytes, TLV 8
}

export function deriveSessionKeys(ours: DhKeyPair, theirPub: bigint): SessionKeys {
  const s = sharedSecret(ours, theirPub);
  const buf = taggedSecret(s);
  const high = ours.pub > theirPub;
  buf[0] = high ? 0x01 : 0x02;
  const sendAes = sha1(buf).slice(0, 16);
  buf[0] = high ? 0x02 : 0x01;
  const recvAes = sha1(buf).slice(0, 16);
  buf[0] = 0xff;
  const extraKey = sha256(buf);
  wipe(buf);
  return { sendAes, sendMac: sha1(sendAes), recvAes, recvMac: sha1(recvAes), extraKey };
}

export function wipeSessionKeys(k: SessionKeys | undefined): void {
  if (k) wipe(k.sendAes, k.sendMac, k.recvAes, k.recvMac, k.extraKey);
}
