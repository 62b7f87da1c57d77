// Data messages (spec "Data Message"): layout, AES-128-CTR encryption and the HMAC-SHA1 over
// everything from the protocol version to the end of the encrypted message.
import { createHmac } from 'node:crypto';
import type { OtrVersion } from './api.ts';
import { MSG_DATA, encodeOtrMessage, type Header } from './message.ts';
import { Reader, Writer } from './serial.ts';

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

/** HMAC-SHA1 with node:crypto (measured 2.5× faster than @noble/hashes for data-message sizes). */
export function dataMac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const d = createHmac('sha1', key).update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

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

/** Parses a data message; throws OtrParseError when malformed. */
export function decodeDataMessage(bytes: Uint8Array, h: Header): DataMessageFields {
  const r = new Reader(bytes);
  r.raw(h.bodyOffset, 'header');
  const flags = r.byte();
  const senderKeyid = r.int();
  const recipientKeyid = r.int();
  const nextDh = r.data();
  const ctr = r.raw(8, 'CTR');
  const encrypted = r.data();
  const authenticated = bytes.subarray(0, r.offset);
  const mac = r.raw(20, 'MAC');
  const oldMacKeys = r.data();
  r.end();
  return {
    version: h.version,
    senderTag: h.senderTag,
    receiverTag: h.receiverTag,
    flags,
    senderKeyid,
    recipientKeyid,
    nextDh,
    ctr,
    encrypted,
    mac,
    oldMacKeys,
    authenticated,
  };
}

/** The flags byte of a data message too broken to read otherwise (libotr's otrl_proto_data_read_flags). */
export function readFlags(bytes: Uint8Array, h: Header): number {
  return bytes.length > h.bodyOffset ? bytes[h.bodyOffset]! : 0;
}
