// Key management for data messages (spec "Data Exchange"): our two newest DH keypairs, their two newest
// public keys, key ids, per-pair counters, rotation on acknowledgement, and revealing old MAC keys.
// Session keys are derived lazily, only for the (our key, their key) pairs actually used: in ping-pong
// that is 3 modular exponentiations per message (one new keypair, one key for sending, one for receiving)
// where libotr does 5.
import { AesCtrKey } from './crypto/aes.ts';
import { bigintToBytes, bytesToBigint } from './crypto/bigint.ts';
import { wipe } from './crypto/constant-time.ts';
import { HmacSha1Key } from './crypto/hmac-sha1.ts';
import type { DataMessageLayout } from './data-message.ts';
import { deriveSessionKeys, generateKeyPair, isValidPublic, wipeSessionKeys, type DhKeyPair, type SessionKeys } from './dh.ts';

/**
 * One (our key, their key) pair. The AES keys and MAC keys are fixed for the pair, so their cipher
 * contexts and HMAC states are set up once, on first use, and wiped with the pair.
 */
interface Pair {
  keys: SessionKeys;
  sendCtr: Uint8Array; // 8 bytes, last counter used
  recvCtr: Uint8Array; // 8 bytes, last counter accepted
  recvMacUsed: boolean;
  sendAes: AesCtrKey | undefined;
  sendMac: HmacSha1Key | undefined;
  recvAes: AesCtrKey | undefined;
  recvMac: HmacSha1Key | undefined;
}

function wipePair(p: Pair): void {
  wipeSessionKeys(p.keys);
  p.sendAes?.wipe();
  p.sendMac?.wipe();
  p.recvAes?.wipe();
  p.recvMac?.wipe();
  p.sendAes = p.sendMac = p.recvAes = p.recvMac = undefined;
}

/** What an outgoing message uses: key ids, its counter and the pair's send keys (valid until the next forSending). */
export interface SendKeys {
  senderKeyid: number;
  recipientKeyid: number;
  ctr: Uint8Array;
  keys: SessionKeys;
  aes: AesCtrKey;
  mac: HmacSha1Key;
}

/** An incoming message that passed the key id, MAC and counter checks; `commit()` once it is accepted. */
class Accepted {
  readonly ok = true as const;

  constructor(
    private readonly manager: KeyManager,
    private readonly p: Pair,
    /** The message's bytes and its layout: read again by decryptInPlace and commit, before the bytes change. */
    private readonly bytes: Uint8Array,
    private readonly m: DataMessageLayout,
    private readonly nextDh: bigint,
  ) {}

  get recvAes(): Uint8Array {
    return this.p.keys.recvAes;
  }

  /** Decrypts the message's encrypted part in place. */
  decryptInPlace(): void {
    const p = this.p;
    p.recvAes ??= new AesCtrKey(p.keys.recvAes);
    p.recvAes.xorInPlace(this.bytes, this.bytes, this.m.encOff, this.m.encLen, this.m.ctrOff);
  }

  extraKey(): Uint8Array {
    return this.p.keys.extraKey.slice();
  }

  /** Records the counter and rotates keys. */
  commit(): void {
    const { p, bytes, m } = this;
    p.recvMacUsed = true;
    for (let i = 0; i < 8; i++) p.recvCtr[i] = bytes[m.ctrOff + i]!;
    this.manager.accepted(m.senderKeyid, m.recipientKeyid, this.nextDh);
  }
}

class SendKeysSlot implements SendKeys {
  senderKeyid = 0;
  recipientKeyid = 0;
  ctr: Uint8Array = NO_KEYS;
  keys!: SessionKeys;
  aes!: AesCtrKey;
  mac!: HmacSha1Key;

  /** Drops the references to a wiped pair's keys. */
  clear(): void {
    const none = undefined as never;
    this.ctr = NO_KEYS;
    this.keys = none;
    this.aes = none;
    this.mac = none;
  }
}

export type KeyCheck = Accepted | { ok: false; reason: string };

export class KeyManager {
  ourKeyid: number;
  private ourOld: DhKeyPair; // id ourKeyid-1
  private ourCur: DhKeyPair | undefined; // id ourKeyid, generated on first need
  theirKeyid: number;
  private theirY: bigint;
  private theirOldY: bigint | undefined;
  private pairs = new Map<string, Pair>();
  private revealed: Uint8Array[] = [];
  private revealedCount = 0;
  /** Modular exponentiations spent (for the benchmark's accounting). */
  modexps = 0;
  /**
   * What forSending() returns, made with the manager rather than on the first message: a session's first
   * message then takes no path of its own, on which V8 would deoptimize the send path made in the last one.
   */
  private readonly sendKeys = new SendKeysSlot();

  /** From a finished AKE: the AKE keypair becomes our old key (id k), the next one is k+1 (as libotr). */
  constructor(akeDh: DhKeyPair, akeKeyid: number, theirPub: bigint, theirKeyid: number) {
    this.ourOld = akeDh;
    this.ourKeyid = akeKeyid + 1;
    this.theirY = theirPub;
    this.theirKeyid = theirKeyid;
  }

  private current(): DhKeyPair {
    if (!this.ourCur) {
      this.ourCur = generateKeyPair();
      this.modexps++;
    }
    return this.ourCur;
  }

  private nextDhBytes: Uint8Array | undefined;

  /** Our newest public key as MPI bytes, sent as "next DH key" in every data message. */
  get nextDh(): Uint8Array {
    this.nextDhBytes ??= bigintToBytes(this.current().pub);
    return this.nextDhBytes;
  }

  /** The pair used last (a message stream keeps using one pair): spares building the map key. */
  private lastOur = -1;
  private lastTheir = -1;
  private lastPair: Pair | undefined;

  private pair(ourId: number, theirId: number): Pair {
    // Every field is read every time: ping-pong never takes this shortcut, and a one-way stream after it
    // would otherwise reach loads V8 has no feedback for and deoptimize check() (see there).
    const last = this.lastPair;
    const sameOur = ourId === this.lastOur;
    const sameTheir = theirId === this.lastTheir;
    if (last !== undefined && sameOur && sameTheir) return last;
    const k = `${ourId}:${theirId}`;
    let p = this.pairs.get(k);
    if (!p) {
      // Read whatever the ids (see check()).
      const ourOld = this.ourOld;
      const theirNewest = this.theirY;
      const theirOld = this.theirOldY;
      const ours = ourId === this.ourKeyid ? this.current() : ourOld;
      const theirs = theirId === this.theirKeyid ? theirNewest : theirOld!;
      p = {
        keys: deriveSessionKeys(ours, theirs), sendCtr: new Uint8Array(8), recvCtr: new Uint8Array(8), recvMacUsed: false,
        sendAes: undefined, sendMac: undefined, recvAes: undefined, recvMac: undefined,
      };
      this.modexps++;
      this.pairs.set(k, p);
    }
    this.lastOur = ourId;
    this.lastTheir = theirId;
    this.lastPair = p;
    return p;
  }

  /** Keys, key ids and next counter for an outgoing message: our acknowledged key with their newest. */
  forSending(): SendKeys {
    const p = this.pair(this.ourKeyid - 1, this.theirKeyid);
    incrementCounter(p.sendCtr);
    p.sendAes ??= new AesCtrKey(p.keys.sendAes);
    p.sendMac ??= new HmacSha1Key(p.keys.sendMac);
    // One object, refilled: the caller uses it before anything else sends.
    const k = this.sendKeys;
    k.senderKeyid = this.ourKeyid - 1;
    k.recipientKeyid = this.theirKeyid;
    k.ctr = p.sendCtr;
    k.keys = p.keys;
    k.aes = p.sendAes;
    k.mac = p.sendMac;
    return k;
  }

  /** The extra symmetric key of the pair used for sending now. */
  currentExtraKey(): Uint8Array {
    return this.pair(this.ourKeyid - 1, this.theirKeyid).keys.extraKey.slice();
  }

  /**
   * Checks an incoming message's key ids, MAC and counter, without changing anything; `commit()` then
   * records the counter and rotates keys (call it only once the message is accepted). `bytes` must stay
   * as they are until then.
   */
  check(bytes: Uint8Array, m: DataMessageLayout): KeyCheck {
    const senderKeyid = m.senderKeyid;
    const recipientKeyid = m.recipientKeyid;
    // Every field and comparison is evaluated up front, whatever the ids: in ping-pong the peer always uses
    // its newest key, and a one-way stream (its older key) would otherwise reach operations V8 has no
    // feedback for and deoptimize this function (then unoptimized for ~2000 messages: its recompile takes
    // ~15 ms).
    const theirKeyid = this.theirKeyid;
    const ourKeyid = this.ourKeyid;
    const senderNewest = senderKeyid === theirKeyid;
    const senderPrevious = senderKeyid === theirKeyid - 1;
    const recipientNewest = recipientKeyid === ourKeyid;
    const recipientPrevious = recipientKeyid === ourKeyid - 1;
    const theirOldKnown = this.theirOldY !== undefined;
    const ourCurMade = this.ourCur !== undefined;
    const zeroIds = theirKeyid === 0 || senderKeyid === 0 || recipientKeyid === 0;
    if (zeroIds || !(senderNewest || senderPrevious) || !(recipientNewest || recipientPrevious)) {
      return { ok: false, reason: 'unknown key id' };
    }
    if (senderPrevious && !theirOldKnown) return { ok: false, reason: 'unknown key id' };
    if (recipientNewest && !ourCurMade) return { ok: false, reason: 'key not yet announced' };
    let nextDh = 0n;
    if (senderNewest) {
      nextDh = bytesToBigint(bytes.subarray(m.nextDhOff, m.nextDhOff + m.nextDhLen));
      if (!isValidPublic(nextDh)) return { ok: false, reason: 'next DH key out of range' };
    }
    const p = this.pair(recipientKeyid, senderKeyid);
    p.recvMac ??= new HmacSha1Key(p.keys.recvMac);
    // The bytes before the counter usually repeat from the peer's previous message (HmacSha1Key reuses them).
    if (!p.recvMac.verify(bytes, 0, m.macOff, bytes, m.macOff, m.ctrOff)) return { ok: false, reason: 'bad MAC' };
    if (compareCounterAt(bytes, m.ctrOff, p.recvCtr) <= 0) return { ok: false, reason: 'counter not increasing (replay)' };
    return new Accepted(this, p, bytes, m, nextDh);
  }

  /** Rotation after an accepted message (Accepted.commit). */
  accepted(senderKeyid: number, recipientKeyid: number, nextDh: bigint): void {
    if (recipientKeyid === this.ourKeyid) this.rotateOurs();
    if (senderKeyid === this.theirKeyid) this.rotateTheirs(nextDh);
  }

  private dropPairs(pred: (ourId: number, theirId: number) => boolean): void {
    for (const [k, p] of this.pairs) {
      const [o, t] = k.split(':').map(Number) as [number, number];
      if (!pred(o, t)) continue;
      if (p.recvMacUsed) this.revealedCount = this.revealed.push(p.keys.recvMac.slice());
      wipePair(p);
      this.pairs.delete(k);
      if (p === this.lastPair) this.lastPair = undefined;
    }
  }

  private rotateOurs(): void {
    const gone = this.ourKeyid - 1;
    this.dropPairs((o) => o === gone);
    this.ourOld = this.current();
    this.ourCur = undefined;
    this.nextDhBytes = undefined;
    this.ourKeyid++;
  }

  private rotateTheirs(nextDh: bigint): void {
    const gone = this.theirKeyid - 1;
    this.dropPairs((_o, t) => t === gone);
    this.theirOldY = this.theirY;
    this.theirY = nextDh;
    this.theirKeyid++;
  }

  /** Old MAC keys to publish with the next message (then forgotten). */
  takeRevealedMacKeys(): Uint8Array {
    // Not revealed.length: an empty [] has another hidden class than one that held keys, and ping-pong
    // (keys to reveal in every message) followed by a one-way stream (none) deoptimized the send path.
    if (this.revealedCount === 0) return NO_KEYS;
    const out = new Uint8Array(this.revealed.length * 20);
    this.revealed.forEach((k, i) => out.set(k, i * 20));
    wipe(...this.revealed);
    this.revealed = [];
    this.revealedCount = 0;
    return out;
  }

  /** libotr's check whether a new AKE only refreshed this session (same keys on both sides). */
  sameAs(akeDh: DhKeyPair, theirPub: bigint): boolean {
    return this.ourOld.pub === akeDh.pub && (this.theirY === theirPub || this.theirOldY === theirPub);
  }

  wipe(): void {
    this.sendKeys.clear();
    this.dropPairs(() => true);
    wipe(...this.revealed);
    this.revealed = [];
    this.revealedCount = 0;
    this.ourCur = undefined;
    this.theirOldY = undefined;
  }
}

const NO_KEYS = new Uint8Array(0);

/** Adds one, big-endian; every byte is visited, so the path is the same with or without a carry. */
export function incrementCounter(c: Uint8Array): void {
  let carry = 1;
  for (let i = c.length - 1; i >= 0; i--) {
    const v = c[i]! + carry;
    c[i] = v & 0xff;
    carry = v >>> 8;
  }
}

export function compareCounter(a: Uint8Array, b: Uint8Array): number {
  return compareCounterAt(a, 0, b);
}

/** compareCounter of a[at, at+8) with b. */
function compareCounterAt(a: Uint8Array, at: number, b: Uint8Array): number {
  for (let i = 0; i < 8; i++) if (a[at + i] !== b[i]) return a[at + i]! - b[i]!;
  return 0;
}
