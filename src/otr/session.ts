// A conversation with one peer (libotr: a master ConnContext and one child per peer instance), with
// libotr's message-state semantics: plaintext → encrypted → finished. Wire lines go out through
// SessionHost.inject (fragmented to host.maxMessageSize()); events are typed values, never strings.
import type {
  FingerprintHex,
  MessageState,
  OtrEvent,
  OtrVersion,
  ReceiveResult,
  SendResult,
  SessionHost,
  SmpEvent,
  Tlv,
} from './api.ts';
import type { OtrAccount } from './account.ts';
import { Ake, type AkeResult } from './ake.ts';
import { wipe } from './crypto/constant-time.ts';
import { callBegins, callEnds } from './crypto/wasm-heap.ts';
import { DataMessageLayout, FLAG_IGNORE_UNREADABLE, readDataMessage, readFlags, sealDataMessage } from './data-message.ts';
import { fragmentMessage, parseFragment, Reassembler, type FragmentHeader } from './fragment.ts';
import { MAX_AKE_WAIT_MS, commitExpired, heartbeatDue } from './heartbeat.ts';
import { isValidInstanceTag } from './instance-tags.ts';
import { KeyManager } from './keys.ts';
import {
  MSG_DATA,
  MSG_DH_COMMIT,
  MSG_DH_KEY,
  MSG_REVEAL_SIG,
  MSG_SIGNATURE,
  bestVersion,
  classify,
  decodeOtrMessageShared,
  decodeWholeShared,
  sharedBuffer,
  encodedVersion,
  errorMessage,
  errorText,
  findWhitespaceTag,
  queryVersions,
  readHeader,
  whitespaceTag,
  type Header,
} from './message.ts';
import { otrEnabled, versionAllowed } from './policy.ts';
import { Smp } from './smp.ts';
import {
  TLV_DISCONNECTED, TLV_EXTRA_SYMKEY, TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, decodePlaintextIn, encodeTlvs,
} from './tlv.ts';

/** Reassembler keys besides v3 sender tags (which are ≥ 0x100, or whatever a malformed header says ≥ 0). */
const V2_FRAGMENTS = -1;
const OTHER_FRAGMENTS = -2;
const FRAGMENT_TAGS = /^\?OTR\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),/;
const NO_BYTES = new Uint8Array(0);
const NO_TLVS: Tlv[] = [];
const SENT_ENCRYPTED: SendResult = Object.freeze({ kind: 'sent', encrypted: true });
/** The layout of the data message being received (read and used before anything is emitted). */
const dataLayout = new DataMessageLayout();
const SMP_TLV_ORDER = [TLV_SMP1Q, TLV_SMP1, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT];

/** libotr's default texts for the error codes it sends (pidgin-otr's otr_error_message). */
export const ERROR_UNREADABLE = 'You transmitted an unreadable encrypted message.';
export const ERROR_MALFORMED = 'You transmitted a malformed data message.';

/** Most peer instances kept per session; more are refused (a flood of fake instance tags stays bounded). */
const MAX_INSTANCES = 32;

/**
 * The common line, one whole encoded message: "?OTR:AAM" (or AAI) at the start and no other "?OTR", so no
 * fragment header either: parseFragment and classify would find just that, with more scans.
 */
function isWholeEncoded(wire: string): boolean {
  return startsEncoded(wire) && wire.indexOf('?OTR', 5) < 0;
}

function startsEncoded(wire: string): boolean {
  return wire.startsWith('?OTR:AAM') || wire.startsWith('?OTR:AAI');
}

function rank(i: Instance): number {
  return i.state === 'encrypted' ? 2 : i.state === 'finished' ? 1 : 0;
}

/** One peer instance (v3) or the master / v2 context (theirTag 0). */
class Instance {
  readonly ake: Ake;
  state: MessageState = 'plaintext';
  version: OtrVersion | undefined;
  keys: KeyManager | undefined;
  fingerprint: FingerprintHex | undefined;
  fpBytes: Uint8Array | undefined;
  ssid: Uint8Array | undefined;
  smp: Smp | undefined;
  smpQuestion: string | undefined;
  lastSent = 0;
  lastRecv = 0;
  /** Order of the last message received (the clock's milliseconds tie between close messages). */
  recvOrder = 0;
  commitSent = 0;
  /** The master's v3 commit was taken over by a peer instance (it stays, as libotr's, for other instances). */
  commitAnswered = false;

  constructor(
    public theirTag: number,
    ourTag: () => number,
  ) {
    this.ake = new Ake({ ourTag, theirTag: () => this.theirTag });
  }

  endEncryption(): void {
    this.keys?.wipe();
    this.keys = undefined;
    wipe(this.ssid);
    this.ssid = undefined;
    this.smp?.reset();
    this.smpQuestion = undefined;
  }

  wipeAll(): void {
    this.endEncryption();
    this.ake.clear();
  }
}

interface Queued {
  text: string;
  /** Fingerprints the message may be released to; undefined = first contact, any authenticated peer. */
  expected: ReadonlySet<FingerprintHex> | undefined;
}

export class OtrSession {
  private readonly master: Instance;
  private readonly instances = new Map<number, Instance>();
  /** The same instances as a list: best() runs for every message sent, and a Map iterator costs more. */
  private instanceList: Instance[] = [];
  /** Counts received OTR messages, for "most recent" among instances. */
  private received = 0;
  /** Keyed by the sender's instance tag (v3), V2_FRAGMENTS or OTHER_FRAGMENTS. */
  private readonly reassemblers = new Map<number, Reassembler>();
  /** The reassembler that took the last fragment: the next one usually continues its message. */
  private lastReassembler: Reassembler | undefined;
  private queue: Queued[] = [];
  private offer: 'none' | 'sent' | 'rejected' | 'accepted' = 'none';
  /** The fingerprint of the last peer we were secure with in this session. */
  private lastFingerprint: FingerprintHex | undefined;
  private disposed = false;
  /** An AKE message that needed our private key before we had one. */
  private waitingForKey: string | undefined;

  constructor(
    private readonly account: OtrAccount,
    readonly peer: string,
    private readonly host: SessionHost,
  ) {
    this.master = new Instance(0, () => this.account.instanceTag);
  }

  // ---- state ---------------------------------------------------------------------------------

  /** libotr's OTRL_INSTAG_BEST: encrypted before finished before plaintext, then the most recent. */
  private best(): Instance {
    let best = this.master;
    const list = this.instanceList;
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      if (rank(i) > rank(best) || (rank(i) === rank(best) && i.recvOrder > best.recvOrder)) best = i;
    }
    return best;
  }

  get state(): MessageState {
    return this.best().state;
  }

  get activeFingerprint(): FingerprintHex | undefined {
    const b = this.best();
    return b.state === 'plaintext' ? undefined : b.fingerprint;
  }

  get version(): OtrVersion | undefined {
    const b = this.best();
    return b.state === 'encrypted' ? b.version : undefined;
  }

  /** The peer's instance tag of the best instance (0 for v2 or none). */
  get theirInstanceTag(): number {
    return this.best().theirTag;
  }

  /** The secure session id (8 bytes) and which half to show bold, while encrypted. */
  get sessionId(): { ssid: Uint8Array; boldHalf: 'first' | 'second' } | undefined {
    const b = this.best();
    return b.state === 'encrypted' && b.ssid ? { ssid: b.ssid.slice(), boldHalf: this.ssidHalf.get(b) ?? 'first' } : undefined;
  }
  private readonly ssidHalf = new WeakMap<Instance, 'first' | 'second'>();

  get smpPending(): { question?: string } | undefined {
    const b = this.best();
    if (b.state !== 'encrypted' || !b.smp?.awaitingSecret) return undefined;
    return b.smpQuestion === undefined ? {} : { question: b.smpQuestion };
  }

  get smpInProgress(): boolean {
    const b = this.best();
    return b.state === 'encrypted' && !!b.smp?.inProgress;
  }

  /**
   * Whether an AKE with the peer is under way on our side: we sent a DH-Commit, DH-Key or Reveal Signature,
   * wait for the answer, and its last step is less than MAX_AKE_WAIT_MS old. Meanwhile send() does what
   * libotr does (under an opportunistic policy: plaintext); an application may hold messages instead.
   */
  get akeInProgress(): boolean {
    if (this.disposed) return false;
    const since = this.account.now() - MAX_AKE_WAIT_MS;
    for (const i of [this.master, ...this.instances.values()]) {
      if (i.ake.state === 'none' || i.commitAnswered) continue;
      if (Math.max(i.lastRecv, i.lastSent, i.commitSent) > since) return true;
    }
    return false;
  }

  /** Messages waiting for an encrypted session (REQUIRE_ENCRYPTION). */
  get queuedCount(): number {
    return this.queue.length;
  }

  /** Modular exponentiations spent on data-message keys by the best instance (benchmark accounting). */
  get dataModexps(): number {
    return this.best().keys?.modexps ?? 0;
  }

  private emit(e: OtrEvent): void {
    this.host.event(e);
  }

  /**
   * Runs a public call between callBegins() and callEnds(): the wasm memory may grow only as the outermost
   * call begins, never while a message is being read or built (crypto/wasm-heap.ts).
   */
  private call<T>(body: () => T): T {
    callBegins();
    try {
      return body();
    } finally {
      callEnds();
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  send(text: string): SendResult {
    // The call() wrapper written out: this runs for every message, and a closure costs before V8 inlines it.
    callBegins();
    try {
      return this.innerSend(text);
    } finally {
      callEnds();
    }
  }

  private innerSend(text: string): SendResult {
    if (this.disposed) return { kind: 'refused', reason: 'no_session' };
    const policy = this.account.policy;
    if (!otrEnabled(policy)) {
      this.host.inject(text);
      return { kind: 'sent', encrypted: false };
    }
    if (text.includes('?OTR') && classify(text) === 'query') {
      // libotr: a typed "?OTR?" (any state) becomes our query message, never encrypted.
      this.sendQuery();
      return { kind: 'sent', encrypted: false };
    }
    const b = this.best();
    if (b.state === 'encrypted') {
      this.sendData(b, text, NO_TLVS, 0);
      return SENT_ENCRYPTED;
    }
    if (b.state === 'finished') {
      this.emit({ type: 'refused', reason: 'finished' });
      return { kind: 'refused', reason: 'finished' };
    }
    if (policy.requireEncryption) {
      this.queue.push({ text, expected: this.expectedFingerprints() });
      this.master.lastSent = this.account.now();
      this.sendQuery();
      return { kind: 'queued' };
    }
    let wire = text;
    if (policy.sendWhitespaceTag && this.offer !== 'rejected') {
      wire = text + whitespaceTag(policy);
      this.offer = 'sent';
    }
    this.host.inject(wire);
    return { kind: 'sent', encrypted: false };
  }

  /**
   * Who a message written now may go to once an AKE completes: the fingerprint of this session's last
   * secure peer, else the peer's known fingerprints (the trusted ones if any), else undefined (first
   * contact: whoever authenticates). The engine's own queue (REQUIRE_ENCRYPTION) follows it; an
   * application that keeps messages itself should too.
   */
  expectedFingerprints(): ReadonlySet<FingerprintHex> | undefined {
    if (this.lastFingerprint) return new Set([this.lastFingerprint]);
    const known = this.account.fingerprintsOf(this.peer);
    if (known.length === 0) return undefined;
    const trusted = known.filter((f) => f.trust !== '');
    return new Set((trusted.length > 0 ? trusted : known).map((f) => f.fingerprint));
  }

  /** Sends a query message (libotr: what otrl_message_sending does with "?OTR?"). */
  startAke(): void {
    if (this.disposed || !otrEnabled(this.account.policy)) return;
    this.sendQuery();
  }

  private sendQuery(): void {
    if (!this.account.privateKey) this.emit({ type: 'no_private_key' });
    this.offer = 'sent';
    this.host.inject(this.account.queryMessage());
  }

  /** Ends the private conversation: TLV 1 to each encrypted instance, then plaintext. */
  finish(): void {
    this.call(() => this.innerFinish());
  }

  private innerFinish(): void {
    const all = [this.master, ...this.instances.values()];
    for (const i of all) {
      if (i.state === 'encrypted') {
        try {
          this.sendData(i, '', [{ type: TLV_DISCONNECTED, value: new Uint8Array(0) }], FLAG_IGNORE_UNREADABLE);
        } catch {
          // A message we cannot build is not sent; we still end the session.
        }
      }
      const was = i.state;
      i.state = 'plaintext';
      i.endEncryption();
      if (was !== 'plaintext') this.emit({ type: 'gone_insecure', reason: 'we_finished' });
    }
    this.dropQueue('finished');
  }

  /**
   * The transport says the peer is gone (QUIT, nick change): like libotr's otrl_context_force_finished, an
   * encrypted conversation becomes FINISHED (sending is refused until finish() or a new AKE), keys wiped.
   */
  peerDisconnected(): void {
    this.call(() => this.innerPeerDisconnected());
  }

  private innerPeerDisconnected(): void {
    for (const i of [this.master, ...this.instances.values()]) {
      i.ake.clear();
      if (i.state !== 'encrypted') continue;
      i.state = 'finished';
      i.endEncryption();
      this.emit({ type: 'gone_insecure', reason: 'peer_disconnected' });
    }
  }

  private dropQueue(reason: 'fingerprint_mismatch' | 'finished'): void {
    if (this.queue.length === 0) return;
    const count = this.queue.length;
    this.queue = [];
    this.emit({ type: 'queued_dropped', count, reason });
  }

  /** libotr's otrl_message_symkey: tells the peer to use the current extra key for `use`; returns the key. */
  extraSymmetricKey(use: number, useData: Uint8Array = new Uint8Array(0)): Uint8Array | undefined {
    return this.call(() => this.innerExtraSymmetricKey(use, useData));
  }

  private innerExtraSymmetricKey(use: number, useData: Uint8Array): Uint8Array | undefined {
    const b = this.best();
    if (b.state !== 'encrypted' || !b.keys) return undefined;
    const value = new Uint8Array(4 + useData.length);
    new DataView(value.buffer).setUint32(0, use >>> 0);
    value.set(useData, 4);
    const key = b.keys.currentExtraKey();
    this.sendData(b, '', [{ type: TLV_EXTRA_SYMKEY, value }], FLAG_IGNORE_UNREADABLE);
    return key;
  }

  private sendData(inst: Instance, text: string, tlvs: Tlv[], flags: number): void {
    const keys = inst.keys!;
    const k = keys.forSending();
    const wire = sealDataMessage(
      {
        version: inst.version!,
        senderTag: this.account.instanceTag,
        receiverTag: inst.theirTag,
        flags,
        senderKeyid: k.senderKeyid,
        recipientKeyid: k.recipientKeyid,
        nextDh: keys.nextDh,
        ctr: k.ctr,
        text,
        tlvs: tlvs.length === 0 ? NO_BYTES : encodeTlvs(tlvs),
        oldMacKeys: keys.takeRevealedMacKeys(),
      },
      k.aes,
      k.mac,
    );
    this.injectOtr(inst, wire);
    inst.lastSent = this.account.now();
  }

  /** Injects an OTR-encoded message, fragmented to the host's budget. */
  private injectOtr(inst: Instance, wire: string, version: OtrVersion = inst.version ?? inst.ake.version): void {
    const max = this.host.maxMessageSize();
    if (max === 0) {
      this.host.inject(wire);
      return;
    }
    let pieces: string[];
    try {
      pieces = fragmentMessage(wire, max, version, this.account.instanceTag, inst.theirTag);
    } catch {
      pieces = [wire];
    }
    for (const p of pieces) this.host.inject(p);
  }

  // ---- SMP -----------------------------------------------------------------------------------

  private smpTarget(): Instance | undefined {
    const b = this.best();
    if (b.state !== 'encrypted' || !b.fpBytes || !b.ssid) {
      this.emit({ type: 'smp_error', reason: 'not in an encrypted session' });
      return undefined;
    }
    if (!this.account.fingerprint) {
      this.emit({ type: 'smp_error', reason: 'no private key' });
      return undefined;
    }
    b.smp ??= new Smp();
    return b;
  }

  private ourFpBytes(): Uint8Array {
    return Uint8Array.from(Buffer.from(this.account.fingerprint!, 'hex'));
  }

  smpStart(secret: string, question?: string): void {
    this.call(() => this.innerSmpStart(secret, question));
  }

  private innerSmpStart(secret: string, question?: string): void {
    if (question?.includes('\u0000')) {
      this.emit({ type: 'smp_error', reason: 'the question must not contain NUL' });
      return;
    }
    const b = this.smpTarget();
    if (!b) return;
    if (b.smp!.inProgress) {
      // Restart: the peer drops its half first (the abort goes in a message of its own).
      this.sendData(b, '', [b.smp!.abort()], FLAG_IGNORE_UNREADABLE);
    }
    const tlv = b.smp!.start(new TextEncoder().encode(secret), this.ourFpBytes(), b.fpBytes!, b.ssid!, question);
    this.sendData(b, '', [tlv], FLAG_IGNORE_UNREADABLE);
  }

  smpRespond(secret: string): void {
    this.call(() => this.innerSmpRespond(secret));
  }

  private innerSmpRespond(secret: string): void {
    const b = this.smpTarget();
    if (!b) return;
    if (!b.smp!.awaitingSecret) {
      this.emit({ type: 'smp_error', reason: 'the peer has not asked' });
      return;
    }
    const tlv = b.smp!.respond(new TextEncoder().encode(secret), this.ourFpBytes(), b.fpBytes!, b.ssid!);
    b.smpQuestion = undefined;
    this.sendData(b, '', [tlv], FLAG_IGNORE_UNREADABLE);
  }

  smpAbort(): void {
    this.call(() => this.innerSmpAbort());
  }

  private innerSmpAbort(): void {
    const b = this.best();
    if (b.state !== 'encrypted' || !b.smp) return;
    const tlv = b.smp.abort();
    b.smpQuestion = undefined;
    this.sendData(b, '', [tlv], FLAG_IGNORE_UNREADABLE);
    this.emit({ type: 'smp_aborted', byPeer: false });
  }

  private handleSmpTlv(inst: Instance, tlv: Tlv): void {
    inst.smp ??= new Smp();
    const { reply, events } = inst.smp.handle(tlv);
    if (reply) this.sendData(inst, '', [reply], FLAG_IGNORE_UNREADABLE);
    for (const e of events) this.smpEvent(inst, e);
  }

  private smpEvent(inst: Instance, e: SmpEvent): void {
    const fp = inst.fingerprint!;
    switch (e.type) {
      case 'smp_asked':
        inst.smpQuestion = e.question;
        break;
      case 'smp_success':
        // libotr records trust "smp" (or "" on failure) on the initiator, and on the responder only
        // when no question was asked.
        if (e.updatesTrust !== false) this.account.setTrust(this.peer, fp, 'smp');
        this.emit({ ...e, fingerprint: fp });
        return;
      case 'smp_failure': {
        const had = this.account.trustOf(this.peer, fp);
        const drops = e.updatesTrust !== false && had !== undefined && had !== '';
        if (e.updatesTrust !== false) this.account.setTrust(this.peer, fp, '');
        this.emit({ ...e, trustDropped: drops });
        return;
      }
      case 'smp_aborted':
      case 'smp_cheated':
        inst.smpQuestion = undefined;
        break;
    }
    this.emit(e);
  }

  // ---- receiving -----------------------------------------------------------------------------

  receive(wire: string): ReceiveResult {
    // The call() wrapper written out: this runs for every message, and a closure costs before V8 inlines it.
    callBegins();
    try {
      return this.innerReceive(wire);
    } finally {
      callEnds();
    }
  }

  private innerReceive(wire: string): ReceiveResult {
    if (this.disposed) return { kind: 'internal' };
    try {
      return this.receiveLine(wire);
    } catch (e) {
      this.emit({ type: 'malformed', detail: (e as Error).message });
      return { kind: 'internal' };
    }
  }

  private receiveLine(wire: string): ReceiveResult {
    const policy = this.account.policy;
    if (!otrEnabled(policy)) return { kind: 'message', text: wire, encrypted: false };

    // The common line first: a whole v3 data message, checked and decoded in one step.
    if (policy.allowV3 && wire.startsWith('?OTR:AAMD')) {
      const bytes = decodeWholeShared(wire);
      if (bytes) {
        if (policy.sendWhitespaceTag) this.offer = 'accepted';
        const r = this.receiveDataBytes(bytes);
        if (r) return r;
      }
    }
    return this.receiveOtherLine(wire);
  }

  /**
   * Every line but a whole v3 data message from a known instance. Kept out of receiveLine: V8 optimizes
   * that one on data messages alone, and the first fragment (or other line) after would drop its
   * optimized code (no feedback for these branches) for hundreds of messages, fast path included.
   */
  private receiveOtherLine(wire: string): ReceiveResult {
    const policy = this.account.policy;
    // The next fragment of the message being collected, in libotr's header: no parsing, no checks (the
    // first fragment's tags passed them, and this line carries the same tags text).
    let res = this.lastReassembler?.pushNext(wire);
    if (res === undefined) {
      if (isWholeEncoded(wire)) return this.receiveWholeEncoded(wire);
      const frag = parseFragment(wire);
      if (frag !== 'none') {
        const r = this.reassemblerFor(wire, frag);
        if (r === undefined) return { kind: 'internal' };
        res = r.pushParsed(wire, frag);
      }
    }
    if (res !== undefined) {
      if (res.kind === 'pending') return { kind: 'internal' };
      if (res.kind === 'dropped') {
        this.emit({ type: 'malformed', detail: res.reason });
        return { kind: 'internal' };
      }
      wire = res.message;
      // classify looks only at the first "?OTR" of a reassembled message: no scan for another one.
      if (startsEncoded(wire)) return this.receiveWholeEncoded(wire);
    }

    const kind = classify(wire);
    if (policy.sendWhitespaceTag) {
      if (kind !== 'plain') this.offer = 'accepted';
      else if (this.offer === 'sent') this.offer = 'rejected';
    }

    switch (kind) {
      case 'encoded':
        return this.receiveEncoded(wire);
      case 'query': {
        const v = bestVersion(queryVersions(wire), policy);
        if (v) this.startCommit(v);
        return { kind: 'internal' };
      }
      case 'error': {
        if (policy.errorStartAke) this.host.inject(this.account.queryMessage());
        this.emit({ type: 'error_from_peer', message: errorText(wire) });
        return { kind: 'internal' };
      }
      case 'tagged': {
        const found = findWhitespaceTag(wire)!;
        const v = bestVersion(found.versions, policy);
        if (v && this.best().state !== 'encrypted' && policy.whitespaceStartAke) this.startCommit(v);
        return this.receivePlain(found.stripped);
      }
      case 'plain':
        return this.receivePlain(wire);
      default:
        // "?OTR" followed by something unknown: libotr drops it; we show it, marked as unencrypted, so a
        // plain user's text is never swallowed (ZNC otr bug B3).
        this.emit({ type: 'malformed', detail: 'unrecognized OTR message' });
        return this.receivePlain(wire);
    }
  }

  /**
   * The reassembler of the peer instance a fragment comes from, or undefined (with an event) when the
   * fragment is not for us or not from a valid instance.
   */
  private reassemblerFor(wire: string, frag: FragmentHeader | 'bad'): Reassembler | undefined {
    // A well-formed header gives the tags at once; a malformed one is looked at as before: only the
    // instance tags (the reassembler then drops it).
    let key: number;
    let sender: number | undefined;
    let receiver = 0;
    if (frag !== 'bad') {
      key = frag.version === 3 ? frag.senderTag : V2_FRAGMENTS;
      if (frag.version === 3) {
        sender = frag.senderTag;
        receiver = frag.receiverTag;
      }
    } else {
      const v3frag = wire.indexOf('?OTR|');
      const tags = v3frag >= 0 ? FRAGMENT_TAGS.exec(wire.slice(v3frag, v3frag + 24)) : null;
      key = v3frag >= 0 ? OTHER_FRAGMENTS : V2_FRAGMENTS;
      if (tags) {
        sender = parseInt(tags[1]!, 16);
        receiver = parseInt(tags[2]!, 16);
        key = sender;
      }
    }
    if (sender !== undefined) {
      if (receiver !== 0 && receiver !== this.account.instanceTag) {
        this.emit({ type: 'message_for_other_instance' });
        return undefined;
      }
      if (!isValidInstanceTag(sender)) {
        this.emit({ type: 'malformed', detail: 'fragment from an invalid instance tag' });
        return undefined;
      }
    }
    let r = this.reassemblers.get(key);
    if (!r) {
      if (this.reassemblers.size >= MAX_INSTANCES) this.forgetFragments();
      r = new Reassembler();
      this.reassemblers.set(key, r);
    }
    this.lastReassembler = r;
    return r;
  }

  private receivePlain(text: string): ReceiveResult {
    if (this.best().state !== 'plaintext' || this.account.policy.requireEncryption) {
      this.emit({ type: 'received_unencrypted', text });
    }
    return { kind: 'message', text, encrypted: false };
  }

  /** We send a DH-Commit from the master context (receiver tag 0), as libotr on a query or tag. */
  private startCommit(version: OtrVersion): void {
    if (!this.account.privateKey) this.emit({ type: 'no_private_key' });
    const wire = this.master.ake.start(version);
    this.master.commitSent = this.account.now();
    this.master.commitAnswered = false;
    this.injectOtr(this.master, wire, version);
  }

  private instanceFor(h: Header): { inst: Instance; created: boolean } | undefined {
    if (h.version === 2) return { inst: this.master, created: false };
    const existing = this.instances.get(h.senderTag);
    if (existing) return { inst: existing, created: false };
    if (this.instances.size >= MAX_INSTANCES && !this.evictIdleInstance()) return undefined;
    const inst = new Instance(h.senderTag, () => this.account.instanceTag);
    this.instances.set(h.senderTag, inst);
    this.instanceList.push(inst);
    return { inst, created: true };
  }

  private dropInstance(tag: number): void {
    this.instances.delete(tag);
    this.instanceList = this.instanceList.filter((i) => i.theirTag !== tag);
  }

  /** Makes room by forgetting the least recent instance that holds no session; false if all hold one. */
  private evictIdleInstance(): boolean {
    let victim: Instance | undefined;
    for (const i of this.instances.values()) {
      if (i.state === 'encrypted' || i.state === 'finished') continue;
      if (!victim || i.recvOrder < victim.recvOrder) victim = i;
    }
    if (!victim) return false;
    victim.wipeAll();
    this.dropInstance(victim.theirTag);
    return true;
  }

  /** A line that classify would call 'encoded' and that starts with the encoded message. */
  private receiveWholeEncoded(wire: string): ReceiveResult {
    const policy = this.account.policy;
    if (policy.sendWhitespaceTag) this.offer = 'accepted';
    return (policy.allowV3 && wire.startsWith('?OTR:AAMD') && this.receiveDataLine(wire)) || this.receiveEncoded(wire);
  }

  /**
   * The most common line in one step: a v3 data message for us from a peer instance we know. Anything
   * else (also when it is malformed) gives undefined before any effect, and receiveEncoded takes it.
   */
  private receiveDataLine(wire: string): ReceiveResult | undefined {
    const bytes = decodeOtrMessageShared(wire);
    return bytes && this.receiveDataBytes(bytes);
  }

  /** receiveDataLine of the decoded bytes. */
  private receiveDataBytes(bytes: Uint8Array): ReceiveResult | undefined {
    if (bytes.length < 11 || bytes[0] !== 0 || bytes[1] !== 3 || bytes[2] !== MSG_DATA) return undefined;
    const senderTag = ((bytes[3]! << 24) | (bytes[4]! << 16) | (bytes[5]! << 8) | bytes[6]!) >>> 0;
    const receiverTag = ((bytes[7]! << 24) | (bytes[8]! << 16) | (bytes[9]! << 8) | bytes[10]!) >>> 0;
    if (receiverTag !== this.account.instanceTag) return undefined;
    const inst = this.instances.get(senderTag);
    if (!inst) return undefined;
    inst.lastRecv = this.account.now();
    inst.recvOrder = ++this.received;
    return this.receiveData(inst, bytes, 11);
  }

  private receiveEncoded(wire: string): ReceiveResult {
    const found = this.instanceFromWire(wire);
    if (!found || 'result' in found) return found ? found.result : { kind: 'internal' };
    const { inst, created, bytes, h } = found;
    const result = this.dispatch(inst, created, wire, bytes, h);
    // An instance met only through a message that started nothing is not kept.
    if (created && inst.ake.state === 'none' && inst.state === 'plaintext') this.dropInstance(inst.theirTag);
    return result;
  }

  private instanceFromWire(
    wire: string,
  ): { result: ReceiveResult } | { inst: Instance; created: boolean; bytes: Uint8Array; h: Header } | undefined {
    const policy = this.account.policy;
    const v = encodedVersion(wire);
    if (!v || !versionAllowed(policy, v)) return { result: { kind: 'internal' } };
    let bytes = decodeOtrMessageShared(wire);
    const h = bytes && readHeader(bytes);
    if (!bytes || !h || h.version !== v) {
      this.emit({ type: 'malformed', detail: 'undecodable OTR message' });
      return { result: { kind: 'internal' } };
    }
    // Data messages are read in place (receiveData reads all it needs before it emits anything); the
    // AKE keeps parts of its messages, so it gets its own copy.
    if (h.type !== MSG_DATA) bytes = bytes.slice();
    if (h.version === 3) {
      const ours = this.account.instanceTag;
      if ((h.type === MSG_DH_COMMIT && h.receiverTag !== 0 && h.receiverTag !== ours) || (h.type !== MSG_DH_COMMIT && h.receiverTag !== ours)) {
        this.emit({ type: 'message_for_other_instance' });
        return { result: { kind: 'internal' } };
      }
      if (!isValidInstanceTag(h.senderTag)) {
        this.emit({ type: 'malformed', detail: 'invalid sender instance tag' });
        return { result: { kind: 'internal' } };
      }
    }
    const found = this.instanceFor(h);
    if (!found) {
      this.emit({ type: 'malformed', detail: 'too many peer instances' });
      return { result: { kind: 'internal' } };
    }
    const { inst, created } = found;
    if (h.version === 3 && inst !== this.master && h.type === MSG_DH_KEY) {
      // A peer instance answers the commit we sent from the master context (libotr's copy-on-key). As in
      // libotr, also into an instance in the middle of an earlier AKE, unless it waits for a DH-Key itself:
      // after a new query the peer answers our new commit with the DH-Key it sent before (the spec's
      // retransmission), and an instance still waiting for a Signature would take it for a duplicate and
      // resend a Reveal Signature for the old commit, which the peer can never verify.
      const m = this.master.ake;
      if (m.state === 'awaiting_dhkey' && m.version === 3 && inst.ake.state !== 'awaiting_dhkey') {
        inst.ake.copyFrom(m);
        this.master.commitAnswered = true;
      }
    } else if (created && h.type !== MSG_DH_COMMIT) {
      this.dropInstance(h.senderTag);
      return { result: { kind: 'internal' } };
    }
    inst.lastRecv = this.account.now();
    inst.recvOrder = ++this.received;
    return { inst, created, bytes, h };
  }

  private dispatch(inst: Instance, created: boolean, wire: string, bytes: Uint8Array, h: Header): ReceiveResult {
    switch (h.type) {
      case MSG_DH_COMMIT: {
        // Collision with the commit we sent from the master context: only for a peer instance we meet now
        // (an established instance re-keys by its own AKE state, as libotr's child contexts do).
        const masterHash = created && this.master.ake.version === 3 ? this.master.ake.ourHashGx : undefined;
        return this.akeOutcome(inst, inst.ake.handleCommit(bytes, h, masterHash));
      }
      case MSG_DH_KEY:
      case MSG_REVEAL_SIG: {
        const key = this.account.privateKey;
        if (!key) {
          // Kept until the application sets a key (libotr would call create_privkey here, synchronously).
          this.waitingForKey = wire;
          this.emit({ type: 'no_private_key' });
          return { kind: 'internal' };
        }
        return this.akeOutcome(inst, h.type === MSG_DH_KEY ? inst.ake.handleKey(bytes, h, key) : inst.ake.handleRevealSig(bytes, h, key));
      }
      case MSG_SIGNATURE:
        return this.akeOutcome(inst, inst.ake.handleSignature(bytes, h));
      case MSG_DATA:
        return this.receiveData(inst, bytes, h.bodyOffset);
      default:
        this.emit({ type: 'malformed', detail: `unknown message type ${h.type}` });
        return { kind: 'internal' };
    }
  }

  private akeOutcome(inst: Instance, o: ReturnType<Ake['handleCommit']>): ReceiveResult {
    if ('error' in o) {
      if (o.error !== 'no private key') this.emit({ type: 'malformed', detail: o.error });
      return { kind: 'internal' };
    }
    if (o.reply) {
      this.injectOtr(inst, o.reply, inst.ake.version);
      // libotr counts AKE messages as sent (heartbeats), except a v3 commit from the master context.
      if (inst !== this.master || inst.ake.version !== 3) inst.lastSent = this.account.now();
    }
    if (o.result) this.goEncrypted(inst, o.result);
    return { kind: 'internal' };
  }

  private goEncrypted(inst: Instance, r: AkeResult): void {
    if (r.theirPub === r.ourDh.pub) {
      this.emit({ type: 'malformed', detail: 'our own AKE message reflected back' });
      return;
    }
    if (inst.theirTag === 0 && r.version === 3) {
      // Cannot happen: v3 AKEs finish on a peer instance.
      return;
    }
    const fp = r.fingerprint;
    if (this.account.addFingerprint(this.peer, fp)) this.emit({ type: 'new_fingerprint', fingerprint: fp });
    const trusted = (this.account.trustOf(this.peer, fp) ?? '') !== '';
    const oldState = inst.state;
    const oldFp = inst.fingerprint;
    if (oldState === 'encrypted' && oldFp === fp && inst.keys?.sameAs(r.ourDh, r.theirPub)) {
      this.emit({ type: 'still_secure', fingerprint: fp, trusted, restartedByUs: r.weCommitted });
      return;
    }
    inst.endEncryption();
    inst.keys = new KeyManager(r.ourDh, r.ourKeyid, r.theirPub, r.theirKeyid);
    inst.version = r.version;
    inst.fingerprint = fp;
    inst.fpBytes = r.fingerprintBytes;
    inst.ssid = r.ssid;
    this.ssidHalf.set(inst, r.ssidHalf);
    inst.state = 'encrypted';
    this.lastFingerprint = fp;
    if (oldState === 'encrypted' && oldFp === fp) {
      this.emit({ type: 'still_secure', fingerprint: fp, trusted, restartedByUs: r.weCommitted });
    } else {
      this.emit({ type: 'gone_secure', fingerprint: fp, trusted, version: r.version, instance: inst.theirTag });
    }
    this.releaseQueue(inst, fp);
  }

  /** A queued message goes only to the fingerprint it was written for (never to whoever finished an AKE). */
  private releaseQueue(inst: Instance, fp: FingerprintHex): void {
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    let sent = 0;
    let dropped = 0;
    for (const q of queued) {
      if (q.expected === undefined || q.expected.has(fp)) {
        this.sendData(inst, q.text, [], 0);
        sent++;
      } else {
        dropped++;
      }
    }
    if (sent) this.emit({ type: 'queued_sent', count: sent });
    if (dropped) this.emit({ type: 'queued_dropped', count: dropped, reason: 'fingerprint_mismatch' });
  }

  /** `bytes` is decodeOtrMessageShared's buffer: everything is read from it before the first event. */
  private receiveData(inst: Instance, bytes: Uint8Array, bodyOffset: number): ReceiveResult {
    const flags = readFlags(bytes, bodyOffset);
    const ignorable = (flags & FLAG_IGNORE_UNREADABLE) !== 0;
    if (inst.state !== 'encrypted' || !inst.keys) {
      // libotr: tell the user, send nothing (it may be for another v2 client of the peer).
      if (!ignorable) {
        const b = this.best();
        if (b !== inst && b.state === 'encrypted') this.emit({ type: 'message_for_other_instance' });
        else this.emit({ type: 'unreadable' });
      }
      return { kind: 'internal' };
    }
    const m = dataLayout;
    try {
      readDataMessage(bytes, bodyOffset, m);
    } catch {
      if (!ignorable) {
        this.emit({ type: 'malformed', detail: 'malformed data message' });
        this.host.inject(errorMessage(ERROR_MALFORMED));
      }
      return { kind: 'internal' };
    }
    const check = inst.keys.check(bytes, m);
    if (!check.ok) {
      if (!ignorable) {
        this.emit({ type: 'unreadable' });
        this.host.inject(errorMessage(ERROR_UNREADABLE));
      }
      return { kind: 'internal' };
    }
    // Decrypted in place in our copy of the message, and zeroed once read.
    check.decryptInPlace();
    const { text, tlvs } = decodePlaintextIn(sharedBuffer(bytes), m.encOff, m.encOff + m.encLen);
    bytes.fill(0, m.encOff, m.encOff + m.encLen);
    // The extra key of the pair this message used, taken before commit() may rotate keys.
    const extraKey = tlvs.length > 0 && tlvs.some((t) => t.type === TLV_EXTRA_SYMKEY) ? check.extraKey() : undefined;
    check.commit();
    const now = inst.lastRecv; // set by the caller as the message arrived
    const finished = tlvs.length > 0 && this.handleTlvs(inst, tlvs, extraKey);
    if (finished) {
      inst.state = 'finished';
      inst.endEncryption();
      this.emit({ type: 'gone_insecure', reason: 'peer_finished' });
    } else if (text !== '' && heartbeatDue(inst.lastSent, now)) {
      this.sendData(inst, '', [], FLAG_IGNORE_UNREADABLE);
      this.emit({ type: 'heartbeat_sent' });
    }
    if (text === '') return { kind: 'internal' };
    return tlvs.length > 0 ? { kind: 'message', text, encrypted: true, tlvs } : { kind: 'message', text, encrypted: true };
  }

  /** The TLVs of an accepted data message, except the end of the session: true if it has TLV 1 (finished). */
  private handleTlvs(inst: Instance, tlvs: Tlv[], extraKey: Uint8Array | undefined): boolean {
    const finished = tlvs.some((t) => t.type === TLV_DISCONNECTED);
    const symkey = tlvs.find((t) => t.type === TLV_EXTRA_SYMKEY);
    if (symkey && symkey.value.length >= 4) {
      const use = new DataView(symkey.value.buffer, symkey.value.byteOffset, 4).getUint32(0);
      this.emit({ type: 'received_symkey', use, useData: symkey.value.slice(4), key: extraKey! });
    }
    if (!finished) {
      // libotr looks at the first SMP TLV of each type in this order (an abort last).
      for (const type of SMP_TLV_ORDER) {
        const t = tlvs.find((x) => x.type === type);
        if (t) this.handleSmpTlv(inst, t);
      }
    }
    return finished;
  }

  /** Called by the account when its private key is set: resumes an AKE that was waiting for it. */
  privateKeyChanged(): void {
    const w = this.waitingForKey;
    this.waitingForKey = undefined;
    if (w && this.account.privateKey && !this.disposed) this.receive(w);
  }

  // ---- time and teardown ---------------------------------------------------------------------

  /** Called by the application on a timer: forgets an unanswered v3 DH-Commit after libotr's 60 s. */
  tick(nowMs: number): void {
    const m = this.master;
    if (m.ake.state === 'awaiting_dhkey' && m.ake.version === 3 && commitExpired(m.commitSent, nowMs)) {
      m.ake.clear();
      m.commitSent = 0;
    }
  }

  /** Drops every reassembler (the partial messages they hold are not continued). */
  private forgetFragments(): void {
    this.reassemblers.clear();
    this.lastReassembler = undefined;
  }

  /** Wipes every secret of this session; it refuses to send afterwards. */
  dispose(): void {
    this.master.wipeAll();
    for (const i of this.instances.values()) i.wipeAll();
    this.instances.clear();
    this.instanceList = [];
    for (const r of this.reassemblers.values()) r.clear();
    this.forgetFragments();
    this.queue = [];
    this.waitingForKey = undefined;
    this.disposed = true;
    this.account.forgetSession(this);
  }
}
