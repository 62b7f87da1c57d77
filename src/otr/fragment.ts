// Fragmentation (spec "Fragmentation"): splitting an outgoing OTR message into wire lines that fit a byte
// budget, and putting incoming fragments back together.
//
// Outgoing, as libotr 4.1.1 (otrl_proto_fragment_create / fragment_and_send):
//   v3  ?OTR|%08x|%08x,%05u,%05u,piece,   header counted as 37 bytes against the budget
//   v2  ?OTR,%05u,%05u,piece,             header counted as 19 bytes
// A message is split only when it is longer than the budget; each fragment is then at most budget−1 bytes
// (libotr counts the C string's NUL). Pieces never split a UTF-8 character.
//
// Incoming: the header is found anywhere in the line (libotr uses strstr), "?OTR|" before "?OTR,".
// libotr keeps only an in-order run (k=1 restarts, anything but k+1 discards). We accept fragments in any
// order instead, which is a superset for in-order senders:
//   - pieces are kept by k for one message at a time, identified by (version, tags, n);
//   - a fragment of another message (other n or tags) discards the partial one and starts anew;
//   - an exact duplicate is ignored; a different piece for a k we hold discards the partial message and
//     starts anew from that piece (the peer began another message);
//   - k=0, n=0, k>n, non-numeric or oversized numbers, an empty piece or a missing trailing comma: the
//     line is dropped and the partial message is kept (libotr ignores such lines too);
//   - the partial message is capped (default 64 KiB, pieces plus a fixed per-piece overhead): a message
//     that would exceed it is discarded whole;
//   - a line that is not a fragment is returned as it is; if it is an OTR message ("?OTR" anywhere) any
//     partial message is discarded, as libotr does.
// A message is returned only when every piece 1..n is present. push() never throws.
import type { OtrVersion } from './api.ts';

const HEADER_LEN: Record<OtrVersion, number> = { 3: 37, 2: 19 };
/** The length of libotr's v3 header as written (`?OTR|%08x|%08x,%05u,%05u,`). */
const V3_FIXED_HEADER = 35;
/** Where its k starts (after the tags text `?OTR|%08x|%08x,`). */
const V3_FIXED_K = 23;
const MAX_FRAGMENTS = 65535;
/** Per-piece bookkeeping charged against the reassembly cap, so a flood of tiny pieces is bounded too. */
const PIECE_OVERHEAD = 32;
export const DEFAULT_REASSEMBLY_CAP = 64 * 1024;

export interface FragmentHeader {
  version: OtrVersion;
  senderTag: number;
  receiverTag: number;
  k: number;
  n: number;
  piece: string;
  /** Where the piece starts in the line. */
  pieceStart: number;
}

export type PushResult =
  | { kind: 'complete'; message: string }
  | { kind: 'pending' }
  | { kind: 'dropped'; reason: string };

/**
 * Split `msg` into fragments for a peer whose lines may be `maxSize` bytes long (UTF-8).
 * Returns [msg] when it fits or maxSize is 0. Throws RangeError when maxSize leaves no room after the
 * header or the message would need more than 65535 fragments (a caller's configuration error).
 */
export function fragmentMessage(
  msg: string,
  maxSize: number,
  version: OtrVersion,
  senderTag: number,
  receiverTag: number,
): string[] {
  if (maxSize === 0) return [msg];
  const ascii = isAscii(msg);
  const length = ascii ? msg.length : Buffer.byteLength(msg, 'utf8');
  if (length <= maxSize) return [msg];
  const room = maxSize - HEADER_LEN[version];
  if (!Number.isInteger(room) || room < 1) {
    throw new RangeError(`fragmentMessage: a budget of ${maxSize} bytes leaves no room for a v${version} fragment`);
  }
  const pieces = ascii ? splitAscii(msg, room) : splitUtf8(msg, room);
  const n = pieces.length;
  if (n > MAX_FRAGMENTS) throw new RangeError(`fragmentMessage: ${n} fragments exceed the limit of ${MAX_FRAGMENTS}`);
  const prefix = version === 3 ? v3Prefix(senderTag, receiverTag) : '?OTR,';
  const total = pad5(n);
  return pieces.map((piece, i) => `${prefix}${pad5(i + 1)},${total},${piece},`);
}

/** The last v3 prefix made: a session fragments message after message for the same instance tags. */
let prefixSender = -1;
let prefixReceiver = -1;
let lastPrefix = '';

/** `?OTR|sender|receiver,` (number-to-hex conversions cost ~0.1 µs each; a 2000-byte message has 9 fragments). */
function v3Prefix(senderTag: number, receiverTag: number): string {
  if (senderTag !== prefixSender || receiverTag !== prefixReceiver) {
    lastPrefix = `?OTR|${hex8(senderTag)}|${hex8(receiverTag)},`;
    prefixSender = senderTag;
    prefixReceiver = receiverTag;
  }
  return lastPrefix;
}

/** The fragment header of `line`, or undefined when the line is not a well-formed fragment. */
export function parseFragmentHeader(line: string): FragmentHeader | undefined {
  const h = parse(line);
  return typeof h === 'object' && h.k >= 1 && h.n >= 1 && h.k <= h.n ? h : undefined;
}

const PENDING: PushResult = Object.freeze({ kind: 'pending' });

/** Reassembles the fragments from one peer (one per peer instance). */
export class Reassembler {
  /** The message being collected: version (0 = none), tags and n. */
  private version = 0;
  private senderTag = 0;
  private receiverTag = 0;
  private n = 0;
  /** Piece k at k − 1 (a Map costs more: its clear() allocates, and messages come in order almost always). */
  private pieces: (string | undefined)[] = [];
  private heldCount = 0;
  private charged = 0;
  /**
   * The next in-order fragment, when this message's fragments come with libotr's fixed-width header at
   * the start of the line: its k (0 = none expected), the tags text (`?OTR|sender|receiver,`) and the n
   * text (`nnnnn,`) they came with. pushNext() takes such a line without parsing its header.
   */
  private nextK = 0;
  private nextTags = '';
  private nextN = '';

  constructor(private readonly cap = DEFAULT_REASSEMBLY_CAP) {}

  /** True while part of a message is held. */
  get pending(): boolean {
    return this.heldCount > 0;
  }

  /** What the partial message is charged against the cap. */
  get bufferedBytes(): number {
    return this.charged;
  }

  push(line: string): PushResult {
    return this.pushParsed(line, parse(line));
  }

  /** push() for a line whose header the caller has read already (parseFragment). */
  pushParsed(line: string, h: FragmentHeader | 'none' | 'bad'): PushResult {
    if (h === 'none') {
      if (line.includes('?OTR')) this.clear();
      return { kind: 'complete', message: line };
    }
    if (h === 'bad') return { kind: 'dropped', reason: 'malformed fragment header' };
    if (h.k < 1 || h.n < 1 || h.k > h.n) return { kind: 'dropped', reason: `fragment ${h.k} of ${h.n} is out of range` };
    if (h.n === 1) {
      this.clear();
      return { kind: 'complete', message: h.piece };
    }
    if (!this.sameMessage(h)) {
      this.clear();
      this.start(h);
    }
    const held = this.pieces[h.k - 1];
    if (held !== undefined) {
      if (held === h.piece) return PENDING;
      this.clear();
      this.start(h);
    }
    const res = this.add(h.k, h.piece);
    // The header as libotr writes it, at the start of the line: the next fragment's can be compared as text.
    if (res === PENDING && h.version === 3 && h.pieceStart === V3_FIXED_HEADER && h.k < h.n && line.startsWith('?OTR|')) {
      this.nextK = h.k + 1;
      this.nextTags = line.slice(0, V3_FIXED_K);
      this.nextN = line.slice(V3_FIXED_K + 6, V3_FIXED_HEADER);
    }
    return res;
  }

  /**
   * The next fragment of the message being collected when `line` starts with exactly the header libotr
   * writes for it (the tags text of the earlier fragments, k + 1, the same n): pushed as push() would,
   * without reading the header. undefined for any other line, which the caller then parses and pushParsed()s.
   */
  pushNext(line: string): PushResult | undefined {
    const k = this.nextK;
    if (
      k === 0 ||
      !line.startsWith(this.nextTags) ||
      !line.startsWith(pad5(k), V3_FIXED_K) ||
      line.charCodeAt(V3_FIXED_K + 5) !== COMMA ||
      !line.startsWith(this.nextN, V3_FIXED_K + 6) ||
      this.pieces[k - 1] !== undefined
    ) {
      return undefined;
    }
    const end = line.indexOf(',', V3_FIXED_HEADER);
    if (end <= V3_FIXED_HEADER) return undefined;
    const res = this.add(k, line.slice(V3_FIXED_HEADER, end));
    this.nextK = res === PENDING && k < this.n ? k + 1 : 0;
    return res;
  }

  /** Holds piece k (not held yet) of the message being collected, within the cap; the message once whole. */
  private add(k: number, piece: string): PushResult {
    this.nextK = 0;
    const cost = piece.length + PIECE_OVERHEAD;
    if (this.charged + cost > this.cap) {
      this.clear();
      return { kind: 'dropped', reason: `fragmented message exceeds ${this.cap} bytes` };
    }
    this.pieces[k - 1] = piece;
    this.heldCount++;
    this.charged += cost;
    if (this.heldCount < this.n) return PENDING;
    const message = this.pieces.join('');
    this.clear();
    return { kind: 'complete', message };
  }

  private sameMessage(h: FragmentHeader): boolean {
    return this.version === h.version && this.senderTag === h.senderTag && this.receiverTag === h.receiverTag && this.n === h.n;
  }

  private start(h: FragmentHeader): void {
    this.version = h.version;
    this.senderTag = h.senderTag;
    this.receiverTag = h.receiverTag;
    this.n = h.n;
  }

  /** Forget any partial message. */
  clear(): void {
    this.nextK = 0;
    this.version = 0;
    this.senderTag = 0;
    this.receiverTag = 0;
    this.n = 0;
    if (this.heldCount > 0) this.pieces = [];
    this.heldCount = 0;
    this.charged = 0;
  }
}

// "?OTR|sender|receiver,k,n,piece," (v3) or "?OTR,k,n,piece," (v2); k and n may be zero-padded. Read by
// hand rather than with a regular expression: a 400-byte fragment is mostly piece, which indexOf(',')
// crosses far faster than a [^,]+ loop.
//   v3: \?OTR\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),(\d{1,5}),(\d{1,5}),([^,]+),
//   v2: \?OTR,(\d{1,5}),(\d{1,5}),([^,]+),

/** Where the last successful field() stopped (the index of its `stop` character). */
let fieldEnd = 0;

/** Reads up to `max` digits (hex or decimal) ending with `stop` at `p`: the value (fieldEnd = where `stop` is), or -1. */
function field(line: string, p: number, max: number, hex: boolean, stop: number): number {
  let v = 0;
  let i = p;
  for (; i < line.length && i - p <= max; i++) {
    const c = line.charCodeAt(i);
    if (c === stop) break;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    v = hex ? v * 16 + d : v * 10 + d;
  }
  const len = i - p;
  if (len < 1 || len > max || i >= line.length) return -1;
  fieldEnd = i;
  return v;
}

const COMMA = 0x2c;
const BAR = 0x7c;

/** 'none' = not a fragment; 'bad' = a fragment marker with a header that does not parse. */
export function parseFragment(line: string): FragmentHeader | 'none' | 'bad' {
  return parse(line);
}

function parse(line: string): FragmentHeader | 'none' | 'bad' {
  let at = line.indexOf('?OTR|');
  let version: OtrVersion = 3;
  if (at < 0) {
    at = line.indexOf('?OTR,');
    if (at < 0) return 'none';
    version = 2;
  }
  let p = at + 5;
  let senderTag = 0;
  let receiverTag = 0;
  if (version === 3) {
    senderTag = field(line, p, 8, true, BAR);
    if (senderTag < 0) return 'bad';
    receiverTag = field(line, fieldEnd + 1, 8, true, COMMA);
    if (receiverTag < 0) return 'bad';
    p = fieldEnd + 1;
  }
  const k = field(line, p, 5, false, COMMA);
  if (k < 0) return 'bad';
  const n = field(line, fieldEnd + 1, 5, false, COMMA);
  if (n < 0) return 'bad';
  const start = fieldEnd + 1;
  const end = line.indexOf(',', start);
  if (end <= start) return 'bad';
  if (k > MAX_FRAGMENTS || n > MAX_FRAGMENTS) return 'bad';
  return { version, senderTag, receiverTag, k, n, piece: line.slice(start, end), pieceStart: start };
}

/** Native: a string is ASCII exactly when its UTF-8 length is its length (Latin-1 characters take 2 bytes). */
function isAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length;
}

function splitAscii(s: string, room: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += room) out.push(s.slice(i, i + room));
  return out;
}

/** Split at code point boundaries so that each piece is at most `room` UTF-8 bytes. */
function splitUtf8(s: string, room: number): string[] {
  const out: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (size > room) throw new RangeError(`fragmentMessage: a ${size}-byte character does not fit in ${room} bytes`);
    if (bytes + size > room) {
      out.push(s.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  out.push(s.slice(start));
  return out;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** pad5 of the fragment numbers most messages use, made on first use. */
const PAD5: string[] = [];
const PAD5_KEPT = 64;

function pad5(n: number): string {
  if (n >= PAD5_KEPT) return String(n).padStart(5, '0');
  return (PAD5[n] ??= String(n).padStart(5, '0'));
}
