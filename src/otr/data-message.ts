// Data messages (spec "Data Message"): layout, AES-128-CTR encryption and the HMAC-SHA1 over
// everything from the protocol version to the end of the encrypted message.
import { createHmac } from 'node:crypto';
import type { OtrVersion } from './api.ts';
import type { AesCtrKey } from './crypto/aes.ts';
import type { HmacSha1Key } from './crypto/hmac-sha1.ts';
import { MSG_DATA, encodeOtrMessage, type Header } from './message.ts';
import { OtrParseError, Writer } from './serial.ts';
import { SEAL, SEAL_CAP, heapRegion } from './crypto/wasm-heap.ts';
import { methods } from './buffer-methods.ts';

export const FLAG_IGNORE_UNREADABLE = 0x01;

export interface DataMessageFields {
  version: OtrVersion;
  senderTag: number;
  receiverTag: number;
  flags: number;
  senderKeyid: number;
  recipientKeyid: number;
  /** The sender's next DH public key, as the MPI's bytes (converted to a number only when needed). */
  nextDh: Uint8Array;
  ctr: Uint8Array; // 8 bytes, top half of the AES counter
  encrypted: Uint8Array;
  mac: Uint8Array;
  oldMacKeys: Uint8Array;
  /** The bytes the MAC covers. */
  authenticated: Uint8Array;
}

/** HMAC-SHA1 with node:crypto: the reference for tests (the engine uses HmacSha1Key, see sealDataMessage). */
export function dataMac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const d = createHmac('sha1', key).update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

/** The reference encoder of an already encrypted message (tests check sealDataMessage against it). */
export function encodeDataMessage(
  f: Omit<DataMessageFields, 'mac' | 'authenticated'>,
  macKey: Uint8Array,
): string {
  const size = 11 + 9 + 4 + f.nextDh.length + 8 + 4 + f.encrypted.length + 20 + 4 + f.oldMacKeys.length;
  const w = new Writer(size).short(f.version).byte(MSG_DATA);
  if (f.version === 3) w.int(f.senderTag).int(f.receiverTag);
  w.byte(f.flags).int(f.senderKeyid).int(f.recipientKeyid).data(f.nextDh).raw(f.ctr).data(f.encrypted);
  w.raw(dataMac(macKey, w.view())).data(f.oldMacKeys);
  return encodeOtrMessage(w.view());
}

/** An outgoing data message before encryption: the plaintext is `text`, then NUL and `tlvs` if any. */
export interface OutgoingData {
  version: OtrVersion;
  senderTag: number;
  receiverTag: number;
  flags: number;
  senderKeyid: number;
  recipientKeyid: number;
  nextDh: Uint8Array;
  ctr: Uint8Array;
  text: string;
  /** Encoded TLVs (tlv.ts encodeTlvs); empty for none. */
  tlvs: Uint8Array;
  oldMacKeys: Uint8Array;
}

/**
 * The buffer sealDataMessage builds in (it holds ciphertext once a call returns): the SEAL region of the
 * wasm memory, where the MAC reads it in place, or for a message too long for it a buffer of its own.
 */
let heapSeal = heapRegion(SEAL, SEAL_CAP);
let bigSeal = Buffer.alloc(0);
const utf8 = new TextEncoder();
/** A view of the SEAL region from where the text goes (the same offset message after message), for encodeInto. */
let textView: Uint8Array = new Uint8Array(0);
let textViewAt = -1;

/**
 * Writes the text's UTF-8 at encOff of the buffer the message is built in and returns that buffer and the
 * text's length: straight into the SEAL region when it fits for sure (3 bytes per UTF-16 unit at most),
 * else a measured write into a buffer of its own size.
 */
function writeText(text: string, encOff: number, after: number): { b: Buffer; textLen: number } {
  if (encOff + 3 * text.length + after <= SEAL_CAP) {
    if (heapSeal.length === 0) heapSeal = heapRegion(SEAL, SEAL_CAP);
    if (textViewAt !== encOff || textView.byteLength === 0) {
      textView = new Uint8Array(heapSeal.buffer, heapSeal.byteOffset + encOff, SEAL_CAP - encOff);
      textViewAt = encOff;
    }
    sealed.b = heapSeal;
    sealed.textLen = text.length === 0 ? 0 : utf8.encodeInto(text, textView).written;
    return sealed;
  }
  const textLen = Buffer.byteLength(text, 'utf8');
  const size = encOff + textLen + after;
  let b = heapSeal;
  if (size > SEAL_CAP) {
    if (bigSeal.length < size) bigSeal = Buffer.alloc(Math.max(size, 2 * bigSeal.length));
    b = bigSeal;
  } else if (b.length === 0) b = heapSeal = heapRegion(SEAL, SEAL_CAP);
  if (textLen > 0) b.write(text, encOff, textLen, 'utf8');
  sealed.b = b;
  sealed.textLen = textLen;
  return sealed;
}
const sealed = { b: heapSeal, textLen: 0 };

/**
 * Builds, encrypts and MACs a data message in one buffer and returns it encoded (`?OTR:…​.`): the
 * plaintext is written where the ciphertext goes and encrypted in place, so no copy of it is left.
 */
export function sealDataMessage(f: OutgoingData, aes: AesCtrKey, mac: HmacSha1Key): string {
  const head = f.version === 3 ? 11 : 3;
  const encOff = head + 1 + 8 + 4 + f.nextDh.length + 8 + 4;
  const tlvLen = f.tlvs.length === 0 ? 0 : 1 + f.tlvs.length;
  const { b, textLen } = writeText(f.text, encOff, tlvLen + 20 + 4 + f.oldMacKeys.length);
  const plainLen = textLen + tlvLen;
  const macOff = encOff + plainLen;
  const size = macOff + 20 + 4 + f.oldMacKeys.length;
  const u: Uint8Array = b;
  u[0] = 0;
  u[1] = f.version;
  u[2] = MSG_DATA;
  if (f.version === 3) {
    put32(u, 3, f.senderTag);
    put32(u, 7, f.receiverTag);
  }
  let p = head;
  u[p++] = f.flags;
  put32(u, p, f.senderKeyid);
  put32(u, p + 4, f.recipientKeyid);
  put32(u, p + 8, f.nextDh.length);
  p += 12;
  u.set(f.nextDh, p);
  p += f.nextDh.length;
  const ctrOff = p;
  u.set(f.ctr, p);
  put32(u, p + 8, plainLen);
  if (f.tlvs.length > 0) {
    u[encOff + textLen] = 0;
    u.set(f.tlvs, encOff + textLen + 1);
  }
  try {
    aes.xorInPlace(f.ctr, u, encOff, plainLen);
  } catch (e) {
    b.fill(0, encOff, macOff);
    throw e;
  }
  // Everything before the counter usually repeats from the previous message of this key pair.
  mac.macInto(u, 0, macOff, u, macOff, ctrOff);
  put32(u, macOff + 20, f.oldMacKeys.length);
  u.set(f.oldMacKeys, macOff + 24);
  return '?OTR:' + methods(b).base64Slice(0, size) + '.';
}

/** Big-endian INT (Buffer's writeUInt32BE checks its arguments and deoptimizes on values ≥ 2^31). */
function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Where a data message's fields are in its bytes: readDataMessage fills one, without views or copies. */
export class DataMessageLayout {
  flags = 0;
  senderKeyid = 0;
  recipientKeyid = 0;
  nextDhOff = 0;
  nextDhLen = 0;
  ctrOff = 0;
  encOff = 0;
  encLen = 0;
  /** Also the length of the authenticated bytes (everything before the MAC). */
  macOff = 0;
  oldOff = 0;
  oldLen = 0;
}

/** Reads the layout of the data message in `bytes` (body from bodyOffset) into `m`; throws OtrParseError when malformed. */
export function readDataMessage(bytes: Uint8Array, bodyOffset: number, m: DataMessageLayout): void {
  // Each length is checked before what follows it is read (the checks are written out: this runs for
  // every message, often before V8 has optimized it, and calls cost there).
  const len = bytes.length;
  let p = bodyOffset;
  if (p + 13 > len) throw truncated('header');
  m.flags = bytes[p]!;
  m.senderKeyid = u32(bytes, p + 1);
  m.recipientKeyid = u32(bytes, p + 5);
  const dhLen = u32(bytes, p + 9);
  p += 13;
  m.nextDhOff = p;
  m.nextDhLen = dhLen;
  p += dhLen;
  if (p + 12 > len) throw truncated('next DH key or CTR');
  m.ctrOff = p;
  const encLen = u32(bytes, p + 8);
  p += 12;
  m.encOff = p;
  m.encLen = encLen;
  p += encLen;
  if (p + 24 > len) throw truncated('encrypted message or MAC');
  m.macOff = p;
  const oldLen = u32(bytes, p + 20);
  p += 24;
  m.oldOff = p;
  m.oldLen = oldLen;
  p += oldLen;
  if (p !== len) throw new OtrParseError(p > len ? 'truncated old MAC keys' : `${len - p} unexpected trailing bytes`);
}

function truncated(what: string): OtrParseError {
  return new OtrParseError(`truncated ${what}`);
}

/** readDataMessage with the fields as views (tests and tools; the engine reads the layout). */
export function decodeDataMessage(bytes: Uint8Array, h: Header): DataMessageFields {
  const m = new DataMessageLayout();
  readDataMessage(bytes, h.bodyOffset, m);
  return {
    version: h.version,
    senderTag: h.senderTag,
    receiverTag: h.receiverTag,
    flags: m.flags,
    senderKeyid: m.senderKeyid,
    recipientKeyid: m.recipientKeyid,
    nextDh: bytes.subarray(m.nextDhOff, m.nextDhOff + m.nextDhLen),
    ctr: bytes.subarray(m.ctrOff, m.ctrOff + 8),
    encrypted: bytes.subarray(m.encOff, m.encOff + m.encLen),
    mac: bytes.subarray(m.macOff, m.macOff + 20),
    oldMacKeys: bytes.subarray(m.oldOff, m.oldOff + m.oldLen),
    authenticated: bytes.subarray(0, m.macOff),
  };
}

/** The flags byte of a data message too broken to read otherwise (libotr's otrl_proto_data_read_flags). */
export function readFlags(bytes: Uint8Array, bodyOffset: number): number {
  return bytes.length > bodyOffset ? bytes[bodyOffset]! : 0;
}
