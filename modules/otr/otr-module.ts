// The glue between one network of the bouncer and one OTR account: private messages become
// engine calls, engine events become `*otr` notices, commands become engine actions.
// Nothing here logs or stores plaintext; decrypted text goes only to deliverToClients.
import type { ModuleContext, NetworkModule, MessageEvent, PeerQuitEvent, NickChangeEvent, HookResult } from '../../src/modules/api.ts';
import { POLICY_ALWAYS, POLICY_OPPORTUNISTIC, type OtrEvent, type Policy } from '../../src/otr/api.ts';
import { fingerprint as fingerprintOf, formatFingerprint, type DsaPrivateKey } from '../../src/otr/dsa.ts';
import type { AccountFactory, EngineAccount, EngineSession } from './engine.ts';
import type { OtrStore } from './store.ts';
import { PeerTable, type Peer, type IncomingLine } from './peers.ts';
import { NickList, isValidPattern } from './nick-list.ts';
import { loadSettings, serializeSettings, SETTINGS_FILE, type Settings } from './settings.ts';
import { privmsgTextBudget } from './budget.ts';
import { actionToPlaintext, plaintextToMessage } from './action.ts';
import { renderInfo, type InfoPeer } from './info-table.ts';
import { dataMessageFlags } from './data-header.ts';
import { splitUtf8, clientTextBudget } from './split.ts';
import { registerCommands } from './commands.ts';
import { T, peerLine, type EndReason } from './texts.ts';

export interface OtrModuleDeps {
  createAccount: AccountFactory;
  store: OtrStore;
  generateKey: () => Promise<DsaPrivateKey>;
  /** How long `start` waits for the session before giving up on waiting messages. */
  startTimeoutMs?: number;
  /** While `start` waits: how long without an OTR line from the peer before the query goes out again. */
  startRetryMs?: number;
  /** How often sessions get tick() (heartbeats, AKE expiry). */
  tickMs?: number;
}

/** While a start waits, how long the peer may stay silent before the query goes out again. */
const START_RETRY_MS = 15_000;

/** The OTR marker libotr looks for: a query, an error, a data message or a fragment. */
const OTR_MARK = '?OTR';
/** The whitespace tag's base (16 bytes), followed by version tags. */
const WS_TAG_BASE = '\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20';
/** Encrypted or fragmented content: never shown raw to the user (B8). */
const OTR_CIPHERTEXT = /^\?OTR[:|,]/;
/** What a user types to ask for OTR: ?OTR?, ?OTRv23?, ?OTRv2? … */
const TYPED_QUERY = /^\?OTR(?:v\d*)?\?/;
const MAX_QUEUE = 50;
/** Lines of one peer held while our key is generated (a second or so in practice). */
const MAX_INBOX = 500;

export const looksLikeOtr = (text: string): boolean => text.includes(OTR_MARK) || text.includes(WS_TAG_BASE);

/** Peer-supplied text shown in a notice: one line, no control characters, bounded. */
function clean(s: string, max = 300): string {
  const t = s.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 3) + '...' : t;
}

export class OtrGlue implements NetworkModule {
  readonly peers: PeerTable;
  readonly ignore: NickList;
  readonly enable: NickList;
  #key: DsaPrivateKey | undefined;
  #keygen: Promise<void> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #ticker: NodeJS.Timeout;
  #unloaded = false;

  constructor(
    readonly ctx: ModuleContext,
    readonly account: EngineAccount,
    readonly settings: Settings,
    readonly deps: OtrModuleDeps,
  ) {
    this.peers = new PeerTable(() => ctx.casemapping());
    this.ignore = new NickList(settings.ignore);
    this.enable = new NickList(settings.enable);
    this.#key = account.privateKey;
    account.onFingerprintsChanged = () => this.persist('otr.fp', () => deps.store.saveFingerprints(account.fingerprints()));
    this.#ticker = setInterval(() => this.#tick(), deps.tickMs ?? 10_000);
    this.#ticker.unref();
  }

  // ───────────────────────── helpers ─────────────────────────

  say(nick: string | undefined, text: string): void {
    this.ctx.reply(nick === undefined ? text : peerLine(nick, text));
  }

  persist(what: string, write: () => Promise<void>): Promise<void> {
    this.#writes = this.#writes.then(write).catch((e: Error) => {
      this.ctx.logger.error({ err: e.message, file: what }, 'otr: saving failed');
      this.ctx.reply(T.saveFailed(what, e.message));
    });
    return this.#writes;
  }

  saveSettings(): Promise<void> {
    this.settings.ignore = [...this.ignore.list()];
    this.settings.enable = [...this.enable.list()];
    return this.persist(SETTINGS_FILE, () => this.ctx.writeFileAtomic(SETTINGS_FILE, serializeSettings(this.settings)));
  }

  /** Resolves when every file write queued so far is done. */
  async flushWrites(): Promise<void> {
    await this.#writes;
    await this.#keygen;
    await this.#writes;
  }

  get hasKey(): boolean {
    return this.#key !== undefined;
  }

  get keygenRunning(): boolean {
    return this.#keygen !== undefined;
  }

  ownFingerprint(): string | undefined {
    return this.#key ? formatFingerprint(fingerprintOf(this.#key)) : undefined;
  }

  /** Why OTR is off for this nick, or undefined when it applies. */
  disabledBy(nick: string): { list: 'ignore'; pattern: string } | { list: 'enable' } | undefined {
    const cm = this.ctx.casemapping();
    const ign = this.ignore.match(nick, cm);
    if (ign !== undefined) return { list: 'ignore', pattern: ign };
    if (this.enable.match(nick, cm) === undefined) return { list: 'enable' };
    return undefined;
  }

  session(peer: Peer): EngineSession {
    if (!peer.session) {
      peer.session = this.account.createSession(peer.key, {
        inject: (wire) => this.#inject(peer, wire),
        event: (ev) => this.#onEvent(peer, ev),
        maxMessageSize: () => privmsgTextBudget(this.ctx.ownPrefix(), this.ctx.ownNick(), peer.nick),
      });
    }
    return peer.session;
  }

  /**
   * A line from the engine to the peer. OTR messages come fragmented to the budget already; a
   * plaintext message (with or without the whitespace tag) may be longer than one IRC line, as the
   * client may send long lines for the module to handle: it goes out as several, the tag on the last.
   */
  #inject(peer: Peer, wire: string): void {
    const budget = privmsgTextBudget(this.ctx.ownPrefix(), this.ctx.ownNick(), peer.nick);
    if (wire.startsWith('?OTR') || Buffer.byteLength(wire) <= budget) {
      this.ctx.sendToNetwork('privmsg', peer.nick, wire);
      return;
    }
    const at = wire.indexOf(WS_TAG_BASE);
    const text = at >= 0 ? wire.slice(0, at) : wire;
    const tag = at >= 0 ? wire.slice(at) : '';
    const pieces = splitUtf8(text, budget);
    const last = pieces.length - 1;
    if (tag && Buffer.byteLength(pieces[last]! + tag) <= budget) pieces[last] += tag;
    for (const p of pieces) this.ctx.sendToNetwork('privmsg', peer.nick, p);
  }

  stateOf(peer: Peer | undefined): 'plaintext' | 'encrypted' | 'finished' {
    return peer?.session?.state ?? 'plaintext';
  }

  // ───────────────────────── keys ─────────────────────────

  /** Start generating a key unless one exists or is being made. `overwrite` replaces an existing key. */
  generateKey(reason: 'auto' | 'command', overwrite = false): void {
    if (this.#keygen || (this.#key && !overwrite) || this.#unloaded) return;
    this.ctx.reply(reason === 'auto' ? T.keygenStartedAuto : T.keygenStarted);
    const replacing = this.#key !== undefined;
    this.#keygen = this.deps.generateKey().then(
      (key) => {
        this.#keygen = undefined;
        if (this.#unloaded) return;
        this.#key = key;
        this.account.privateKey = key;
        // In use at once; "finished" is said once the key file is written (or its failure was said).
        void this.persist('otr.key', () => this.deps.store.saveKey(key)).then(() => {
          this.ctx.reply(T.keygenFinished(formatFingerprint(fingerprintOf(key))));
          if (replacing) this.ctx.reply(T.keygenOverwriteNote);
        });
        this.#drainAfterKey();
      },
      (e: Error) => {
        this.#keygen = undefined;
        this.ctx.reply(T.keygenFailed(e.message));
      },
    );
  }

  #drainAfterKey(): void {
    if (!this.#key) return;
    for (const peer of this.peers.all()) {
      const lines = peer.inbox.splice(0);
      for (const line of lines) this.#receive(peer, line, 'deliver');
      if (peer.wantSecure && this.stateOf(peer) !== 'encrypted' && !peer.ended) this.session(peer).startAke();
    }
  }

  // ───────────────────────── outgoing ─────────────────────────

  onOutgoingMessage(ev: MessageEvent): HookResult {
    if (ev.isChannel || ev.target.startsWith('*')) return 'continue';
    const cm = this.ctx.casemapping();
    if (cm.equal(ev.target, this.ctx.ownNick())) return 'continue';
    if (this.disabledBy(ev.target)) return 'continue';
    const peer = this.peers.get(ev.target);
    if (ev.kind === 'notice') {
      if (peer && (this.stateOf(peer) !== 'plaintext' || peer.ended || peer.wantSecure)) {
        this.say(peer.nick, T.refusedNotice);
        return 'halt';
      }
      return 'continue';
    }
    if (ev.kind === 'privmsg' && ev.text.startsWith('\x01')) return 'continue'; // CTCP other than ACTION
    if (ev.kind === 'privmsg' && TYPED_QUERY.test(ev.text)) {
      const refused = this.start(ev.target);
      if (refused) this.ctx.reply(refused);
      return 'halt';
    }
    const p = peer ?? this.peers.getOrCreate(ev.target);
    p.nick = ev.target;
    const state = this.stateOf(p);
    if (p.ended && state !== 'encrypted') {
      this.say(p.nick, T.refusedEnded(p.nick, T.endReason[p.ended]));
      return 'halt';
    }
    const needSecure = p.wantSecure || this.settings.policy === 'always';
    if (state === 'plaintext' && ev.kind === 'action' && !needSecure) return 'continue';
    const plaintext = ev.kind === 'action' ? actionToPlaintext(ev.text) : ev.text;
    // An AKE the peer started (or we answered) is under way: libotr would send this in plaintext a moment
    // before the session is up; it waits for the session instead, and is dropped with a notice if none comes.
    const akeUnderWay = state === 'plaintext' && p.session !== undefined && p.session.akeInProgress;
    const starting = (p.startTimer !== undefined || akeUnderWay) && state !== 'encrypted'; // `start` is under way, even from FINISHED
    if (starting || (state === 'plaintext' && needSecure && (!this.#key || p.wantSecure || p.queue.length))) {
      // Keep it until the key exists and the AKE is done (as libotr does under REQUIRE_ENCRYPTION).
      return this.#enqueue(p, plaintext, akeUnderWay) ? 'handled' : 'halt';
    }
    if (!this.#key) this.generateKey('auto'); // the whitespace tag invites an AKE: have the key ready
    return this.#send(p, plaintext) ? 'handled' : 'halt';
  }

  /** true when kept (to be sent once the session is up). `akeUnderWay`: an AKE runs already; start none. */
  #enqueue(peer: Peer, plaintext: string, akeUnderWay = false): boolean {
    if (peer.queue.length >= MAX_QUEUE) {
      this.say(peer.nick, T.queueFull);
      return false;
    }
    peer.queue.push({ plaintext, expected: this.session(peer).expectedFingerprints() });
    if (!peer.toldQueued) {
      peer.toldQueued = true;
      this.say(peer.nick, T.queued);
    }
    if (akeUnderWay) {
      if (peer.startTimer === undefined) this.#armStartTimer(peer);
    } else if (!this.#key) {
      peer.wantSecure = true;
      this.generateKey('auto');
    } else if (!peer.wantSecure) {
      // policy "always": the engine would start the AKE; do it now so the queue drains.
      peer.wantSecure = true;
      this.session(peer).startAke();
      this.#armStartTimer(peer);
    }
    return true;
  }

  /** true when sent (or queued by the engine); false when refused. */
  #send(peer: Peer, plaintext: string): boolean {
    const r = this.session(peer).send(plaintext);
    if (r.kind === 'refused') {
      const text =
        r.reason === 'finished' ? T.refusedFinished(peer.nick)
        : r.reason === 'no_session' ? T.refusedNoSession(peer.nick)
        : T.refusedFingerprintChanged(peer.nick);
      this.say(peer.nick, text);
      return false;
    }
    if (r.kind === 'queued' && !peer.toldQueued) {
      peer.toldQueued = true;
      this.say(peer.nick, T.queued);
    }
    return true;
  }

  /** Sends the waiting messages, each only to a fingerprint it was written for (never to whoever finished an AKE). */
  #flushQueue(peer: Peer): void {
    if (this.stateOf(peer) !== 'encrypted' || peer.queue.length === 0) return;
    const items = peer.queue.splice(0);
    const fp = this.session(peer).activeFingerprint;
    let sent = 0;
    let dropped = 0;
    for (const item of items) {
      if (item.expected !== undefined && (fp === undefined || !item.expected.has(fp))) dropped++;
      else if (this.#send(peer, item.plaintext)) sent++;
    }
    peer.toldQueued = false;
    if (sent) this.say(peer.nick, T.queuedSent(sent));
    if (dropped) this.say(peer.nick, T.queuedDropped(dropped, 'the fingerprint did not match'));
  }

  // ───────────────────────── incoming ─────────────────────────

  onIncomingMessage(ev: MessageEvent): HookResult {
    if (ev.isChannel) return 'continue';
    const cm = this.ctx.casemapping();
    if (cm.equal(ev.nick, this.ctx.ownNick())) return 'continue';
    if (ev.kind === 'notice') {
      // Notices are never encrypted; inside an encrypted conversation, say so.
      const p = this.disabledBy(ev.nick) ? undefined : this.peers.get(ev.nick);
      if (p && (this.stateOf(p) === 'encrypted' || p.ended || p.wantSecure)) ev.text = `${T.notEncryptedMark} ${ev.text}`;
      return 'continue';
    }
    const off = this.disabledBy(ev.nick);
    if (off) {
      if (ev.kind === 'privmsg' && OTR_CIPHERTEXT.test(ev.text)) {
        // Raw ciphertext helps nobody (B8); say once why the line was hidden.
        const p = this.peers.getOrCreate(ev.nick);
        if (!p.toldIgnored) {
          p.toldIgnored = true;
          this.say(ev.nick, T.ignoredOtrLine(ev.nick, off.list === 'ignore' ? `ignore list: ${off.pattern}` : 'not on the enable list'));
        }
        return 'halt';
      }
      return 'continue';
    }
    const peer = this.peers.get(ev.nick);
    if (ev.kind === 'action') {
      if (peer && (this.stateOf(peer) === 'encrypted' || peer.ended || peer.wantSecure)) ev.text = `${T.notEncryptedMark} ${ev.text}`;
      return 'continue';
    }
    if (ev.text.startsWith('\x01')) return 'continue'; // other CTCP
    const otrLine = looksLikeOtr(ev.text);
    const p = peer ?? (otrLine ? this.peers.getOrCreate(ev.nick) : undefined);
    if (!p) return 'continue'; // a plain conversation the engine need not see
    p.nick = ev.nick;
    if (otrLine) p.lastOtrLine = performance.now();
    const line: IncomingLine = { text: ev.text, ident: ev.ident, hostname: ev.hostname, time: ev.time, tags: ev.tags };
    if (!this.#key && (otrLine || p.inbox.length > 0)) {
      // Hold OTR lines (and everything after them, to keep order) until the key exists (B4).
      if (p.inbox.length >= MAX_INBOX) {
        this.ctx.logger.warn({ peer: p.key }, 'otr: too many lines waiting for the key; dropping one');
        return 'halt';
      }
      p.inbox.push(line);
      if (!this.#keygen) this.say(p.nick, T.noKeyForPeer);
      this.generateKey('auto');
      return 'halt';
    }
    const shown = this.#receive(p, line, 'rewrite');
    if (shown === undefined) return 'halt';
    ev.text = shown;
    return 'continue';
  }

  /**
   * Give one wire line to the engine. Decrypted text is delivered here; a plaintext message is
   * returned (mode 'rewrite', for the caller to pass on) or delivered (mode 'deliver').
   */
  #receive(peer: Peer, line: IncomingLine, mode: 'rewrite' | 'deliver'): string | undefined {
    const session = this.session(peer);
    const before = session.state;
    let r;
    try {
      r = session.receive(line.text);
    } catch (e) {
      this.ctx.logger.warn({ peer: peer.key, err: (e as Error).message }, 'otr: receive failed');
      this.say(peer.nick, T.malformed);
      return undefined;
    }
    if (r.kind === 'internal') {
      if (session.state !== 'encrypted' && !peer.sawUnreadable) this.#checkLostSession(peer, line.text);
      peer.sawUnreadable = false;
      return undefined;
    }
    if (r.encrypted) {
      const m = plaintextToMessage(r.text);
      if (m.text === '' && m.kind === 'privmsg') return undefined; // heartbeat or TLV-only message
      this.#deliver(peer, line, m.kind, m.text);
      return undefined;
    }
    let text = r.text;
    if (before === 'encrypted' || session.state === 'encrypted' || peer.ended || peer.wantSecure) text = `${T.notEncryptedMark} ${text}`;
    if (mode === 'rewrite') return text;
    this.#deliver(peer, line, 'privmsg', text);
    return undefined;
  }

  /**
   * Encrypted data from a peer we have no session with (our side lost it, e.g. a restart): never
   * let the conversation fall back to plaintext silently, and tell the peer as libotr does (its
   * client may then restart the AKE on its own).
   */
  #checkLostSession(peer: Peer, wire: string): void {
    const d = dataMessageFlags(wire);
    if (!d || d.ignoreUnreadable) return;
    if (peer.ended !== 'lost') this.say(peer.nick, T.unreadable(peer.nick));
    peer.ended = 'lost';
    peer.wantSecure = true;
    this.ctx.sendToNetwork('privmsg', peer.nick, T.unreadableErrorToPeer(this.ctx.ownNick()));
  }

  /** Decrypted text to the clients: one PRIVMSG per 512-byte line (the peer may send much longer messages). */
  #deliver(peer: Peer, line: IncomingLine, kind: 'privmsg' | 'action', text: string): void {
    const target = this.ctx.ownNick();
    const budget = clientTextBudget(`${peer.nick}!${line.ident}@${line.hostname}`, target, kind === 'action');
    for (const piece of splitUtf8(text, budget)) {
      this.ctx.deliverToClients({
        kind,
        nick: peer.nick,
        ident: line.ident,
        hostname: line.hostname,
        target,
        text: piece,
        tags: line.tags,
        time: line.time,
      });
    }
  }

  // ───────────────────────── engine events ─────────────────────────

  #onEvent(peer: Peer, ev: OtrEvent): void {
    const n = peer.nick;
    switch (ev.type) {
      case 'gone_secure': {
        peer.wantSecure = true;
        peer.ended = undefined;
        this.#clearStartTimer(peer);
        this.say(n, T.goneSecure(ev.trusted));
        if (!ev.trusted) {
          this.say(n, T.notAuthenticated);
          this.say(n, T.verifySecret(n));
          this.say(n, T.verifyFingerprint(n));
          this.say(n, T.ourFp(this.ownFingerprint() ?? '?'));
          this.say(n, T.theirFp(formatFingerprint(ev.fingerprint)));
        }
        queueMicrotask(() => this.#flushQueue(peer));
        return;
      }
      case 'still_secure':
        peer.ended = undefined;
        this.#clearStartTimer(peer);
        this.say(n, T.stillSecure(ev.restartedByUs));
        queueMicrotask(() => this.#flushQueue(peer));
        return;
      case 'gone_insecure':
        if (ev.reason !== 'we_finished') this.say(n, T.peerFinished(n));
        return;
      case 'new_fingerprint':
        this.say(n, T.newFingerprint(n, formatFingerprint(ev.fingerprint)));
        return;
      case 'smp_asked':
        if (ev.question !== undefined) {
          this.say(n, T.smpAskedQuestion(n));
          this.say(n, clean(ev.question));
          this.say(n, T.smpAnswerHint(n));
        } else {
          this.say(n, T.smpAsked(n));
        }
        return;
      case 'smp_progress':
        // The engine reports the peer's answer to our request (SMP2 received) as this step.
        this.say(n, T.smpReplied);
        return;
      case 'smp_success': {
        this.say(n, T.smpSuccess);
        const updates = (ev as { updatesTrust?: boolean }).updatesTrust ?? true;
        const fp = ev.fingerprint || peer.session?.activeFingerprint;
        if (updates && fp) {
          const known = this.account.fingerprints().find((f) => f.fingerprint === fp && f.peer === peer.key);
          if (known && known.trust !== 'smp') this.account.setTrust(peer.key, fp, 'smp');
          this.say(n, T.smpSuccessTrusted(formatFingerprint(fp)));
        }
        return;
      }
      case 'smp_failure': {
        this.say(n, T.smpFailure);
        // libotr distrusts the fingerprint after a failed SMP; say so rather than surprise (B7).
        const fp = peer.session?.activeFingerprint;
        if (ev.trustDropped && fp) this.say(n, T.smpTrustDropped(formatFingerprint(fp)));
        return;
      }
      case 'smp_cheated':
        this.say(n, T.smpCheated);
        return;
      case 'smp_aborted':
        // An abort with nothing under way (python-potr sends one after each failed SMP) tells the user nothing.
        if (ev.byPeer && ev.wasUnderWay !== false) this.say(n, T.smpAbortedByPeer);
        return;
      case 'smp_error':
        this.say(n, T.smpError(clean(ev.reason)));
        return;
      case 'received_unencrypted':
        this.say(n, T.receivedUnencrypted);
        return;
      case 'unreadable':
        peer.sawUnreadable = true;
        if (peer.session?.state !== 'encrypted') peer.ended = 'lost';
        this.say(n, T.unreadable(n));
        return;
      case 'error_from_peer':
        this.say(n, T.errorFromPeer(clean(ev.message)));
        return;
      case 'malformed':
        this.say(n, T.malformed);
        return;
      case 'queued_sent':
        this.say(n, T.queuedSent(ev.count));
        return;
      case 'queued_dropped':
        this.say(n, T.queuedDropped(ev.count, ev.reason === 'finished' ? 'the conversation was finished' : 'the fingerprint did not match'));
        return;
      case 'no_private_key':
        this.generateKey('auto');
        return;
      case 'refused': // reported from the SendResult
      case 'message_for_other_instance': // normal with several instances of the peer
      case 'heartbeat_sent':
        return;
    }
  }

  // ───────────────────────── session life ─────────────────────────

  #armStartTimer(peer: Peer): void {
    this.#clearStartTimer(peer);
    peer.startTimer = setTimeout(() => {
      this.#clearStartTimer(peer);
      if (this.stateOf(peer) === 'encrypted') return;
      this.say(peer.nick, peer.queue.length ? T.startFailed(peer.nick) : T.startNoAnswer(peer.nick));
      peer.queue = [];
      peer.toldQueued = false;
      peer.ended = 'timeout';
    }, this.deps.startTimeoutMs ?? 60_000);
    peer.startTimer.unref();
    this.#armRetry(peer);
  }

  /**
   * While a start waits, the query goes out again whenever the peer sent no OTR line for startRetryMs.
   * A client that makes its key on first need (irssi-otr) drops our DH-Key while the key is being made,
   * and nothing in OTR resends it: both sides would wait until the start times out. A new query makes the
   * peer send a new DH-Commit, and the AKE goes on from the DH-Key we sent (the spec's retransmission).
   */
  #armRetry(peer: Peer, delay?: number): void {
    const every = this.deps.startRetryMs ?? START_RETRY_MS;
    peer.retryTimer = setTimeout(() => {
      peer.retryTimer = undefined;
      if (peer.startTimer === undefined || this.stateOf(peer) === 'encrypted') return;
      const quiet = performance.now() - (peer.lastOtrLine ?? 0);
      if (quiet < every) return this.#armRetry(peer, every - quiet); // the AKE moved lately: look again later
      if (this.#key) this.session(peer).startAke();
      this.#armRetry(peer);
    }, delay ?? every);
    peer.retryTimer.unref();
  }

  #clearStartTimer(peer: Peer): void {
    if (peer.startTimer) clearTimeout(peer.startTimer);
    if (peer.retryTimer) clearTimeout(peer.retryTimer);
    peer.startTimer = undefined;
    peer.retryTimer = undefined;
  }

  /**
   * End a peer's session without the user's say: later sends are refused until start/finish.
   * `display` names the peer in the notice (the old nick after a nick change).
   */
  #endSession(peer: Peer, reason: EndReason, notifyPeer: boolean, display = peer.nick): void {
    const s = peer.session;
    const mattered = s !== undefined && (s.state !== 'plaintext' || peer.wantSecure || peer.ended !== undefined);
    if (s) {
      if (notifyPeer && s.state === 'encrypted') s.finish();
      s.dispose();
      peer.session = undefined;
    }
    this.#clearStartTimer(peer);
    if (mattered || peer.wantSecure) {
      peer.ended = reason;
      peer.wantSecure = true;
      this.say(display, T.sessionEnded(display, T.endReason[reason]));
    } else if (!peer.queue.length && !peer.inbox.length) {
      this.peers.delete(peer);
    }
  }

  onPeerQuit(ev: PeerQuitEvent): void {
    const peer = this.peers.get(ev.nick);
    if (peer) this.#endSession(peer, 'quit', false);
  }

  onNickChange(ev: NickChangeEvent): void {
    if (ev.own) {
      // Peers know us by our old nick: every session is gone for them.
      for (const peer of this.peers.all()) this.#endSession(peer, 'ownNick', false);
      return;
    }
    const peer = this.peers.get(ev.oldNick);
    if (!peer) return;
    const wasGuarded = peer.session !== undefined && (peer.session.state !== 'plaintext' || peer.wantSecure) || peer.ended !== undefined;
    // The disconnect goes to the new nick, where the peer now is.
    peer.nick = ev.newNick;
    this.#endSession(peer, 'nick', true, ev.oldNick);
    peer.nick = ev.oldNick;
    if (wasGuarded) {
      // Both names stay guarded: the client's query window may follow the peer, or not.
      const moved = this.peers.getOrCreate(ev.newNick);
      if (moved !== peer) {
        moved.ended = peer.ended;
        moved.wantSecure = true;
      }
      this.say(ev.oldNick, T.nickMoved(ev.oldNick, ev.newNick));
    }
  }

  onDisconnected(): void {
    for (const peer of this.peers.all()) this.#endSession(peer, 'disconnected', false);
  }

  async onShutdown(): Promise<void> {
    // Every encrypted peer gets the disconnect TLV before our QUIT (XEP-0364: session follows transport).
    for (const peer of this.peers.all()) {
      if (peer.session?.state === 'encrypted') peer.session.finish();
    }
    await this.#writes;
  }

  async onUnload(): Promise<void> {
    this.#unloaded = true;
    clearInterval(this.#ticker);
    for (const peer of this.peers.all()) {
      this.#clearStartTimer(peer);
      if (peer.session?.state === 'encrypted') peer.session.finish();
      peer.session?.dispose();
      peer.session = undefined;
    }
    await this.#writes;
  }

  #tick(): void {
    const now = Date.now();
    for (const peer of this.peers.all()) peer.session?.tick(now);
  }

  // ───────────────────────── commands ─────────────────────────

  info(): string[] {
    const cm = this.ctx.casemapping();
    const byPeer = new Map<string, InfoPeer>();
    for (const f of this.account.fingerprints()) {
      const key = cm.lower(f.peer);
      let row = byPeer.get(key);
      if (!row) {
        const peer = this.peers.get(f.peer);
        row = { nick: peer?.nick ?? f.peer, state: this.stateOf(peer), active: peer?.session?.activeFingerprint, fingerprints: [] };
        byPeer.set(key, row);
      }
      row.fingerprints.push({ fingerprint: f.fingerprint, trust: f.trust });
    }
    const own = this.ownFingerprint();
    const ownLine = own ? T.yourFingerprint(own) : this.#keygen ? T.yourFingerprintGenerating : T.yourFingerprintNone;
    return renderInfo([...byPeer.values()], ownLine);
  }

  /** Resolve trust/distrust's argument to a peer and fingerprint, or say why not. */
  #resolveFingerprint(arg: { nick: string } | { fingerprint: string }): { peer: string; display: string; fp: string; trust: string } | string {
    const known = this.account.fingerprints();
    if ('fingerprint' in arg) {
      if (this.#key && fingerprintOf(this.#key) === arg.fingerprint) return T.ownFingerprint;
      const f = known.find((k) => k.fingerprint.toUpperCase() === arg.fingerprint);
      if (!f) return T.fingerprintNotFound(formatFingerprint(arg.fingerprint));
      const peer = this.peers.get(f.peer);
      return { peer: f.peer, display: peer?.nick ?? f.peer, fp: f.fingerprint, trust: f.trust };
    }
    const peer = this.peers.get(arg.nick);
    const fp = peer?.session?.activeFingerprint;
    const cm = this.ctx.casemapping();
    if (!fp) {
      const any = known.some((k) => cm.equal(k.peer, arg.nick));
      return any || peer ? peerLine(peer?.nick ?? arg.nick, T.noActiveFingerprint(peer?.nick ?? arg.nick)) : T.fingerprintNotFound(arg.nick);
    }
    const f = known.find((k) => k.fingerprint === fp && cm.equal(k.peer, peer!.key));
    return { peer: peer!.key, display: peer!.nick, fp, trust: f?.trust ?? '' };
  }

  /** The answer line; `wrongUse` when the argument named nothing usable. */
  setTrust(arg: { nick: string } | { fingerprint: string }, trusted: boolean): { text: string; wrongUse?: boolean } {
    const r = this.#resolveFingerprint(arg);
    if (typeof r === 'string') return { text: r, wrongUse: true };
    const shown = formatFingerprint(r.fp);
    if (trusted && r.trust !== '') return { text: peerLine(r.display, T.alreadyTrusted(shown)) };
    if (!trusted && r.trust === '') return { text: peerLine(r.display, T.alreadyDistrusted(shown)) };
    this.account.setTrust(r.peer, r.fp, trusted ? 'verified' : '');
    return { text: peerLine(r.display, trusted ? T.trusted(shown) : T.distrusted(shown)) };
  }

  // The command methods below return a line when the command was used wrongly (the caller adds
  // the synopsis), and answer through `say` otherwise.

  finish(nick: string): string | undefined {
    const peer = this.peers.get(nick);
    const display = peer?.nick ?? nick;
    if (!peer) return peerLine(display, T.nothingToFinish(display));
    this.#clearStartTimer(peer);
    const dropped = peer.queue.length;
    const state = this.stateOf(peer);
    const wasGuarded = peer.wantSecure || peer.ended !== undefined;
    peer.queue = [];
    peer.toldQueued = false;
    peer.wantSecure = false;
    peer.ended = undefined;
    if (state !== 'plaintext') {
      peer.session!.finish();
      this.say(display, T.finished);
      this.say(display, T.finishedPlaintext(display));
    } else if (wasGuarded || dropped) {
      this.say(display, T.finishedPlaintext(display));
    } else {
      return peerLine(display, T.nothingToFinish(display));
    }
    if (dropped) this.say(display, T.queueDiscarded(dropped));
    return undefined;
  }

  start(nick: string): string | undefined {
    const off = this.disabledBy(nick);
    if (off) return peerLine(nick, off.list === 'ignore' ? T.disabledFor(nick, 'ignore', off.pattern) : T.disabledFor(nick, 'enable'));
    const peer = this.peers.getOrCreate(nick);
    const refreshing = this.stateOf(peer) === 'encrypted';
    peer.ended = undefined;
    peer.wantSecure = true;
    peer.toldQueued = false;
    this.say(peer.nick, refreshing ? T.refreshing(peer.nick) : T.starting(peer.nick));
    if (!refreshing) this.#armStartTimer(peer);
    if (!this.#key) {
      this.generateKey('auto'); // the AKE starts when the key is ready (#drainAfterKey)
      return undefined;
    }
    this.session(peer).startAke();
    return undefined;
  }

  auth(nick: string, secret: string, question?: string): string | undefined {
    const peer = this.peers.get(nick);
    const display = peer?.nick ?? nick;
    const s = peer?.session;
    if (!s || s.state !== 'encrypted') return peerLine(display, T.notEncrypted(display));
    if (s.smpPending) {
      if (question !== undefined) return peerLine(display, T.authPendingAnswer(display));
      s.smpRespond(secret);
      this.say(display, T.authResponded);
      return undefined;
    }
    if (s.smpInProgress) return peerLine(display, T.authAlreadyRunning(display));
    s.smpStart(secret, question);
    this.say(display, T.authInitiated);
    return undefined;
  }

  authAbort(nick: string): string | undefined {
    const peer = this.peers.get(nick);
    const display = peer?.nick ?? nick;
    const s = peer?.session;
    if (!s || s.state !== 'encrypted') return peerLine(display, T.notEncrypted(display));
    if (!s.smpInProgress && !s.smpPending) return peerLine(display, T.noAuthInProgress);
    s.smpAbort();
    this.say(display, T.authAborted);
    return undefined;
  }

  genkey(overwrite: boolean): void {
    if (this.#keygen) return this.ctx.reply(T.keygenRunning);
    const own = this.ownFingerprint();
    if (own && !overwrite) return this.ctx.reply(T.keyExists(own));
    this.generateKey('command', overwrite);
  }

  /** Answers through `reply`; returns a line when the pattern is unusable (a wrong use: the caller adds the synopsis). */
  listCommand(which: 'ignore' | 'enable', op: { op: 'list' } | { op: 'add' | 'remove'; pattern: string }): string | undefined {
    const list = which === 'ignore' ? this.ignore : this.enable;
    const cm = this.ctx.casemapping();
    if (op.op === 'list') {
      const items = list.list();
      if (items.length === 0) {
        this.ctx.reply(T.listEmpty(which));
        return undefined;
      }
      this.ctx.reply(T.listHeader(which));
      for (const p of items) this.ctx.reply(p);
      return undefined;
    }
    if (!isValidPattern(op.pattern)) return T.listBadPattern(op.pattern);
    if (op.op === 'add') {
      if (!list.add(op.pattern, cm)) {
        this.ctx.reply(T.listAlready(op.pattern, which));
        return undefined;
      }
      this.ctx.reply(T.listAdded(op.pattern, which));
    } else {
      const removed = list.remove(op.pattern, cm);
      if (removed === undefined) {
        this.ctx.reply(T.listNotOn(op.pattern, which));
        return undefined;
      }
      this.ctx.reply(T.listRemoved(removed, which));
    }
    void this.saveSettings();
    this.#applyDisabled();
    return undefined;
  }

  /** A nick that just lost OTR must not keep a live session that plaintext would then bypass (B8). */
  #applyDisabled(): void {
    for (const peer of this.peers.all()) {
      if (!this.disabledBy(peer.nick)) continue;
      const s = peer.session;
      const live = s !== undefined && s.state !== 'plaintext';
      if (s) {
        if (s.state === 'encrypted') s.finish();
        s.dispose();
      }
      this.#clearStartTimer(peer);
      if (live || peer.wantSecure || peer.ended) this.say(peer.nick, T.sessionEndedDisabled(peer.nick));
      this.peers.delete(peer);
    }
  }
}

/** One IRC line (libotr's default has a newline and HTML): ?OTRv23? and a note for people without OTR. */
export function queryMessage(nick: string, policy: Policy): string {
  const versions = `${policy.allowV2 ? '2' : ''}${policy.allowV3 ? '3' : ''}`;
  return `?OTRv${versions}? ${nick} has requested an Off-the-Record private conversation. However, you do not have a plugin to support that. See https://otr.cypherpunks.ca/ for more information.`;
}

export async function createOtrModule(ctx: ModuleContext, deps: OtrModuleDeps): Promise<OtrGlue> {
  const { settings, problem } = await loadSettings(ctx.storageDir);
  const files = await deps.store.load();
  const policy: Policy = { ...(settings.policy === 'always' ? POLICY_ALWAYS : POLICY_OPPORTUNISTIC) };
  const account = deps.createAccount({
    name: ctx.userName,
    protocol: 'irc',
    policy,
    privateKey: files.key,
    instanceTag: files.instanceTag,
    fingerprints: files.fingerprints,
    queryMessage: (_account, pol) => queryMessage(ctx.ownNick(), pol),
  });
  const glue = new OtrGlue(ctx, account, settings, deps);
  registerCommands(ctx, glue);
  if (problem) ctx.reply(T.settingsProblem(problem));
  for (const p of files.problems) ctx.reply(T.keyFileProblem(p));
  if (files.instanceTag === undefined) void glue.persist('otr.instag', () => deps.store.saveInstanceTag(account.instanceTag));
  if (!settings.securityNoteShown) {
    for (const line of T.securityNote) ctx.reply(line);
    settings.securityNoteShown = true;
    void glue.saveSettings();
  }
  if (!files.key) ctx.reply(T.noKeyYet);
  return glue;
}
