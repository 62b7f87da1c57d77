// The OTR message encodings on the wire (spec "OTR message formats" and "Protocol state"):
// encoded messages `?OTR:<base64>.`, query messages, whitespace tags and error messages.
import type { OtrVersion, Policy } from './api.ts';
import { DECODE, DECODE_CAP, heapRegion } from './crypto/wasm-heap.ts';
import { methods } from './buffer-methods.ts';

export const MSG_DH_COMMIT = 0x02;
export const MSG_DATA = 0x03;
export const MSG_DH_KEY = 0x0a;
export const MSG_REVEAL_SIG = 0x11;
export const MSG_SIGNATURE = 0x12;

export const ERROR_PREFIX = '?OTR Error:';

export const TAG_BASE = ' \t  \t\t\t\t \t \t \t  ';
export const TAG_V1 = ' \t \t  \t ';
export const TAG_V2 = '  \t\t  \t ';
export const TAG_V3 = '  \t\t  \t\t';

/** `?OTR:` + base64 + `.` */
export function encodeOtrMessage(bytes: Uint8Array): string {
  return '?OTR:' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') + '.';
}

/** The bytes of an encoded message, or undefined if `text` is not one (libotr: from "?OTR:" to the first '.'). */
export function decodeOtrMessage(text: string): Uint8Array | undefined {
  const start = text.indexOf('?OTR:');
  if (start < 0) return undefined;
  const end = text.indexOf('.', start + 5);
  const b64 = text.slice(start + 5, end < 0 ? undefined : end);
  // Lenient like libotr's decoder: characters outside the alphabet are skipped.
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** The DECODE region of the wasm memory (the MAC then reads a data message in place), made anew if it grew. */
let heapDecode = heapRegion(DECODE, DECODE_CAP);
/** For a message longer than that region. */
let bigDecode = Buffer.alloc(0);

/**
 * Like decodeOtrMessage, but into one buffer shared by every caller, to spare an allocation per data
 * message: the bytes are valid only until the next call, so a caller reads everything it needs before
 * it calls out (events, inject) and copies what it keeps.
 */
export function decodeOtrMessageShared(text: string): Uint8Array | undefined {
  const start = text.indexOf('?OTR:');
  if (start < 0) return undefined;
  const end = text.indexOf('.', start + 5);
  const b64 = text.slice(start + 5, end < 0 ? undefined : end);
  const max = (b64.length * 3) >>> 2; // what the decoder writes at most (it skips characters outside the alphabet)
  let shared: Buffer;
  if (max <= DECODE_CAP) {
    if (heapDecode.length === 0) heapDecode = heapRegion(DECODE, DECODE_CAP);
    shared = heapDecode;
  } else {
    if (bigDecode.length < max) bigDecode = Buffer.alloc(Math.max(max, 2 * bigDecode.length));
    shared = bigDecode;
  }
  // The same decoder as Buffer.from(…, 'base64'), so the same leniency.
  const n = shared.write(b64, 0, 'base64');
  // A plain Uint8Array view: its slice() copies (Buffer's would not).
  return new Uint8Array(shared.buffer, shared.byteOffset, n);
}

/**
 * decodeOtrMessageShared for a line that is exactly one encoded message, `?OTR:<base64>.` with nothing
 * but the base64 alphabet in between; undefined for any other line. One decode, no scans: the decoder
 * skips characters outside the alphabet and stops at '=', so it writes all 3n/4 − padding bytes of n
 * characters only when each one is in the alphabet (no '?', no '.', so no second message or fragment).
 */
export function decodeWholeShared(wire: string): Uint8Array | undefined {
  const len = wire.length;
  const n = len - 6; // without "?OTR:" and "."
  if (n <= 0 || (n & 3) !== 0 || wire.charCodeAt(len - 1) !== 0x2e || (n >>> 2) * 3 > DECODE_CAP) return undefined;
  const pad = (wire.charCodeAt(len - 2) === 0x3d ? 1 : 0) + (wire.charCodeAt(len - 3) === 0x3d ? 1 : 0);
  if (heapDecode.length === 0) heapDecode = heapRegion(DECODE, DECODE_CAP);
  const written = methods(heapDecode).base64Write(wire.slice(5, len - 1), 0, DECODE_CAP);
  if (written !== (n >>> 2) * 3 - pad) return undefined;
  // The same view while lines keep their length (valid until the next call either way).
  if (wholeView.length !== written || wholeView.buffer !== heapDecode.buffer) {
    wholeView = new Uint8Array(heapDecode.buffer, heapDecode.byteOffset, written);
  }
  return wholeView;
}
let wholeView: Uint8Array = new Uint8Array(0);

/** A Buffer over the bytes that decode*Shared returned, index for index (the shared one, not a new view). */
export function sharedBuffer(bytes: Uint8Array): Buffer {
  if (bytes.buffer === heapDecode.buffer && bytes.byteOffset === heapDecode.byteOffset) return heapDecode;
  if (bytes.buffer === bigDecode.buffer && bytes.byteOffset === bigDecode.byteOffset) return bigDecode;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export interface Header {
  version: OtrVersion;
  type: number;
  /** v3 only; 0 for v2. */
  senderTag: number;
  receiverTag: number;
  /** Offset of the first byte after the header. */
  bodyOffset: number;
}

/** Protocol version, message type and (v3) instance tags; undefined if too short or not v2/v3. */
export function readHeader(bytes: Uint8Array): Header | undefined {
  if (bytes.length < 3) return undefined;
  const version = (bytes[0]! << 8) | bytes[1]!;
  const type = bytes[2]!;
  if (version === 2) return { version: 2, type, senderTag: 0, receiverTag: 0, bodyOffset: 3 };
  if (version !== 3 || bytes.length < 11) return undefined;
  const senderTag = ((bytes[3]! << 24) | (bytes[4]! << 16) | (bytes[5]! << 8) | bytes[6]!) >>> 0;
  const receiverTag = ((bytes[7]! << 24) | (bytes[8]! << 16) | (bytes[9]! << 8) | bytes[10]!) >>> 0;
  return { version: 3, type, senderTag, receiverTag, bodyOffset: 11 };
}

/** The kind of a wire line, by libotr's otrl_proto_message_type rules. */
export type WireKind = 'encoded' | 'query' | 'error' | 'tagged' | 'plain' | 'unknown';

export function classify(text: string): WireKind {
  const i = text.indexOf('?OTR');
  if (i < 0) return text.includes(TAG_BASE) ? 'tagged' : 'plain';
  const rest = text.slice(i);
  if (rest.startsWith('?OTR:AAM') || rest.startsWith('?OTR:AAI')) return 'encoded';
  if (rest.startsWith('?OTR?') || rest.startsWith('?OTRv')) return 'query';
  if (rest.startsWith(ERROR_PREFIX)) return 'error';
  return 'unknown';
}

/** The protocol version of an encoded message from its base64 prefix (AAM = 3, AAI = 2). */
export function encodedVersion(text: string): OtrVersion | undefined {
  const i = text.indexOf('?OTR:');
  if (text.startsWith('?OTR:AAM', i)) return 3;
  if (text.startsWith('?OTR:AAI', i)) return 2;
  return undefined;
}

/** Versions offered by a query message (`?OTRv23?`, `?OTR?v2?`). */
export function queryVersions(text: string): Set<number> {
  const out = new Set<number>();
  let i = text.indexOf('?OTR');
  if (i < 0) return out;
  i += 4;
  if (text[i] === '?') {
    out.add(1);
    i++;
  }
  if (text[i] === 'v') {
    for (i++; i < text.length && text[i] !== '?'; i++) {
      if (text[i] === '2') out.add(2);
      if (text[i] === '3') out.add(3);
    }
  }
  return out;
}

/** The best version both sides speak (3 before 2), or undefined. */
export function bestVersion(offered: Set<number>, policy: Policy): OtrVersion | undefined {
  if (policy.allowV3 && offered.has(3)) return 3;
  if (policy.allowV2 && offered.has(2)) return 2;
  return undefined;
}

export function queryTag(policy: Policy): string {
  let v = '';
  if (policy.allowV2) v += '2';
  if (policy.allowV3) v += '3';
  return v ? `?OTRv${v}?` : '?OTR?';
}

/** libotr's otrl_proto_default_query_msg: the tag, then an explanation for clients without OTR. */
export function defaultQueryMessage(accountName: string, policy: Policy): string {
  return (
    `${queryTag(policy)}\n<b>${accountName}</b> has requested an ` +
    '<a href="https://otr.cypherpunks.ca/">Off-the-Record private conversation</a>.  ' +
    'However, you do not have a plugin to support that.\n' +
    'See <a href="https://otr.cypherpunks.ca/">https://otr.cypherpunks.ca/</a> for more information.'
  );
}

/** The whitespace tag libotr appends to a plaintext message, for the versions the policy allows. */
export function whitespaceTag(policy: Policy): string {
  return TAG_BASE + (policy.allowV2 ? TAG_V2 : '') + (policy.allowV3 ? TAG_V3 : '');
}

/** Finds a whitespace tag: the versions it offers and the text with the tag removed. */
export function findWhitespaceTag(text: string): { versions: Set<number>; stripped: string } | undefined {
  const start = text.indexOf(TAG_BASE);
  if (start < 0) return undefined;
  const versions = new Set<number>();
  let end = start + TAG_BASE.length;
  for (;;) {
    const group = text.slice(end, end + 8);
    if (group.length !== 8 || !/^[ \t]{8}$/.test(group)) break;
    if (group === TAG_V1) versions.add(1);
    if (group === TAG_V2) versions.add(2);
    if (group === TAG_V3) versions.add(3);
    end += 8;
  }
  return { versions, stripped: text.slice(0, start) + text.slice(end) };
}

export function errorMessage(text: string): string {
  return `${ERROR_PREFIX} ${text}`;
}

/** The text of an error message after the prefix (one leading space removed, as libotr). */
export function errorText(wire: string): string {
  const i = wire.indexOf(ERROR_PREFIX);
  let t = wire.slice(i + ERROR_PREFIX.length);
  if (t.startsWith(' ')) t = t.slice(1);
  return t;
}
