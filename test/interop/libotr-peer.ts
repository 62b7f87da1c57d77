// Real libotr 4.1.1 as an OTR peer for tests: spawns build/otrpeer (test/interop/otrpeer.c, which
// documents the JSON-lines protocol) and gives an async API. One LibotrPeer is one libotr account that
// can talk to any number of remote names. Wire lines libotr sends come out as `wire` events, or go to
// `onWire` when a handler is set (to bridge to our engine, another peer, or an IRC socket).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { buildPeer } from './build-peer.ts';

/** libotr's OTRL_POLICY_* bits. */
export const LIBOTR_POLICY = {
  ALLOW_V2: 0x02,
  ALLOW_V3: 0x04,
  REQUIRE_ENCRYPTION: 0x08,
  SEND_WHITESPACE_TAG: 0x10,
  WHITESPACE_START_AKE: 0x20,
  ERROR_START_AKE: 0x40,
  /** OTRL_POLICY_DEFAULT = OPPORTUNISTIC */
  DEFAULT: 0x76,
  /** OTRL_POLICY_MANUAL */
  MANUAL: 0x06,
  /** OTRL_POLICY_ALWAYS */
  ALWAYS: 0x6e,
} as const;

export type SmpEventName =
  | 'ERROR' | 'ABORT' | 'CHEATED' | 'ASK_FOR_ANSWER' | 'ASK_FOR_SECRET' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';

/** Everything otrpeer prints except command replies. Fingerprints are 40 upper-case hex digits. */
export type PeerEvent =
  | { ev: 'inject'; to: string; wire: string }
  | { ev: 'message'; from: string; text: string; encrypted: boolean; tlvs: number[] }
  | { ev: 'msg_event'; peer: string | null; event: string; message?: string; error?: string }
  | { ev: 'smp_event'; peer: string; event: SmpEventName; progress: number; question?: string }
  | { ev: 'gone_secure'; peer: string; fingerprint: string; trust: string; version: number; their_instance: number }
  | { ev: 'gone_insecure'; peer: string }
  | { ev: 'still_secure'; peer: string; is_reply: boolean }
  | { ev: 'new_fingerprint'; peer: string; fingerprint: string }
  | { ev: 'write_fingerprints' }
  | { ev: 'received_symkey'; peer: string; use: number; usedata: string; key: string }
  | { ev: 'no_private_key'; account: string; protocol: string }
  | { ev: 'fatal'; error: string };

export interface PeerState {
  known: boolean;
  msgstate: 'plaintext' | 'encrypted' | 'finished';
  version?: number;
  our_instance?: number;
  their_instance?: number;
  fingerprint?: string;
  trust?: string;
  smp_expected?: number;
}

export interface PeerInit {
  account: string;
  protocol?: string;
  /** OTRL_POLICY_* bits (LIBOTR_POLICY); default OTRL_POLICY_DEFAULT. */
  policy?: number;
  /** Private key file to read (libotr format). */
  privkey?: string;
  /** Generate a key for the account into this file (libotr writes it). */
  genkey?: string;
  /** Instance tag file: read, or generated there. */
  instags?: string;
  /** Use exactly this instance tag. */
  instag?: number;
  /** Fingerprint file to read. */
  fingerprints?: string;
  /** max_message_size for every peer (0 = no fragmentation). */
  mms?: number;
}

type Reply = { ev: 'reply'; cmd: string; id: number; ok: boolean; error?: string } & Record<string, unknown>;

interface Waiter {
  pred: (e: PeerEvent) => boolean;
  resolve: (e: PeerEvent) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class LibotrPeer {
  readonly account: string;
  fingerprint: string | null = null;
  instag = 0;
  /** When set, `inject` events go here (in order) instead of the event queue. */
  onWire: ((to: string, wire: string) => void) | undefined;

  private proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private stderr = '';
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private idleWaiters: (() => void)[] = [];
  private queue: PeerEvent[] = [];
  private waiters: Waiter[] = [];
  private exited: Error | undefined;

  private constructor(account: string, bin: string) {
    this.account = account;
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.proc.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    this.proc.on('exit', (code, signal) => {
      this.exited = new Error(`otrpeer ${account} exited (${code ?? signal})${this.stderr ? `: ${this.stderr}` : ''}`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
      for (const w of this.waiters) { clearTimeout(w.timer); w.reject(this.exited); }
      this.waiters = [];
      this.flushIdle();
    });
    this.proc.stdin.on('error', () => { /* reported by 'exit' */ });
  }

  /** Builds otrpeer if needed, spawns it and initialises the account. */
  static async start(init: PeerInit): Promise<LibotrPeer> {
    const peer = new LibotrPeer(init.account, buildPeer());
    let r: Reply;
    try {
      r = await peer.command('init', { ...init });
    } catch (e) {
      await peer.close();
      throw e;
    }
    peer.fingerprint = (r.fingerprint as string | null) ?? null;
    peer.instag = r.instag as number;
    return peer;
  }

  /** Sends one command; resolves with its reply, rejects when the reply has ok=false. */
  command(cmd: string, args: Record<string, unknown> = {}): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(`otrpeer ${this.account} ${cmd}: ${r.error}`))),
        reject,
      });
      this.proc.stdin.write(JSON.stringify({ ...args, cmd, id }) + '\n');
    });
  }

  /** True while a command has not been answered yet. */
  get busy(): boolean {
    return this.pending.size > 0 && !this.exited;
  }

  /** Resolves when every command sent so far has been answered. */
  idle(): Promise<void> {
    if (this.pending.size === 0 || this.exited) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- typed commands ----

  /** Hands libotr a wire line from `from`. The reply says whether it was internal (ignore). */
  receive(from: string, wire: string): Promise<{ ignore: boolean; text?: string; encrypted?: boolean; tlvs?: number[] }> {
    return this.command('receive', { from, wire }) as never;
  }
  /** otrl_message_sending: encrypts when the session is, refuses in FINISHED (refused: true). */
  send(to: string, text: string, instance?: number): Promise<{ refused: boolean; msgstate?: string }> {
    return this.command('send', instance === undefined ? { to, text } : { to, text, instance }) as never;
  }
  query(to: string): Promise<Reply> { return this.command('query', { to }); }
  raw(to: string, wire: string): Promise<Reply> { return this.command('raw', { to, wire }); }
  finish(peer: string, instance?: number): Promise<Reply> {
    return this.command('finish', instance === undefined ? { peer } : { peer, instance });
  }
  smpStart(peer: string, secret: string, question?: string): Promise<Reply> {
    return this.command('smp_start', question === undefined ? { peer, secret } : { peer, secret, question });
  }
  smpRespond(peer: string, secret: string): Promise<Reply> { return this.command('smp_respond', { peer, secret }); }
  smpAbort(peer: string): Promise<Reply> { return this.command('smp_abort', { peer }); }
  state(peer: string, instance?: number): Promise<PeerState> {
    return this.command('state', instance === undefined ? { peer } : { peer, instance }) as never;
  }
  async fingerprints(): Promise<{ peer: string; account: string; fingerprint: string; trust: string }[]> {
    return (await this.command('fingerprints')).list as never;
  }
  async trust(peer: string, fingerprint: string, trust: string): Promise<boolean> {
    return (await this.command('trust', { peer, fingerprint, trust })).found as boolean;
  }
  writeFingerprints(path: string): Promise<Reply> { return this.command('write_fingerprints', { path }); }
  writeInstags(path: string): Promise<Reply> { return this.command('write_instags', { path }); }
  async genkey(path: string, account?: string): Promise<string> {
    const r = await this.command('genkey', account === undefined ? { path } : { path, account });
    if (account === undefined || account === this.account) this.fingerprint = r.fingerprint as string;
    return r.fingerprint as string;
  }
  /** Forgets every context and known fingerprint of `peer`: the next conversation starts fresh. */
  forget(peer: string): Promise<Reply> { return this.command('forget', { peer }); }
  /** otrl_message_symkey: tells the peer to use the current extra symmetric key; returns it (hex). */
  async symkey(peer: string, use: number, usedataHex = ''): Promise<string> {
    return (await this.command('symkey', { peer, use, usedata: usedataHex })).key as string;
  }
  /** Moves libotr's clock forward (heartbeats after 60 s, resend window, AKE timeouts). */
  advanceClock(seconds: number): Promise<Reply> { return this.command('clock', { advance: seconds }); }
  setPolicy(value: number, peer?: string): Promise<Reply> {
    return this.command('policy', peer === undefined ? { value } : { value, peer });
  }
  setMaxMessageSize(value: number, peer?: string): Promise<Reply> {
    return this.command('mms', peer === undefined ? { value } : { value, peer });
  }

  // ---- events ----

  /** The first queued or future event matching `pred` (removed from the queue); rejects after timeoutMs. */
  next<E extends PeerEvent = PeerEvent>(pred: (e: PeerEvent) => boolean, timeoutMs = 10_000, what = 'event'): Promise<E> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as E);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: resolve as (e: PeerEvent) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`otrpeer ${this.account}: timed out after ${timeoutMs} ms waiting for ${what}; ` +
            `queued: ${JSON.stringify(this.queue.map((e) => e.ev === 'inject' ? { ev: 'inject', to: e.to } : e)).slice(0, 800)}`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** The next event of the given kind (optionally also matching `pred`). */
  nextEv<K extends PeerEvent['ev']>(ev: K, pred: (e: Extract<PeerEvent, { ev: K }>) => boolean = () => true, timeoutMs = 10_000) {
    return this.next<Extract<PeerEvent, { ev: K }>>(
      (e) => e.ev === ev && pred(e as Extract<PeerEvent, { ev: K }>), timeoutMs, ev);
  }

  /** Removes and returns every queued event (optionally only those matching `pred`). */
  take(pred: (e: PeerEvent) => boolean = () => true): PeerEvent[] {
    const taken = this.queue.filter(pred);
    this.queue = this.queue.filter((e) => !pred(e));
    return taken;
  }

  /** Removes and returns the queued wire lines (optionally only those to `to`). */
  takeWire(to?: string): string[] {
    return this.take((e) => e.ev === 'inject' && (to === undefined || e.to === to)).map((e) => (e as { wire: string }).wire);
  }

  /** Queued events, not removed. */
  peek(): readonly PeerEvent[] { return this.queue; }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(t);
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const msg = JSON.parse(line) as PeerEvent | Reply;
    if (msg.ev === 'reply') {
      const r = msg as Reply;
      const p = this.pending.get(r.id);
      if (p) {
        this.pending.delete(r.id);
        p.resolve(r);
        if (this.pending.size === 0) this.flushIdle();
      }
      return;
    }
    const e = msg as PeerEvent;
    if (e.ev === 'inject' && this.onWire) {
      this.onWire(e.to, e.wire);
      return;
    }
    this.queueEvent(e);
  }

  /** Hands an event to a waiting next() or queues it (routers use it for lines they do not forward). */
  queueEvent(e: PeerEvent): void {
    const wi = this.waiters.findIndex((w) => w.pred(e));
    if (wi >= 0) {
      const [w] = this.waiters.splice(wi, 1);
      clearTimeout(w!.timer);
      w!.resolve(e);
      return;
    }
    this.queue.push(e);
  }

  private flushIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}

/**
 * Connects two libotr peers: every wire line one sends to the other's account is handed to the
 * other's `receive`. Lines to other names stay queued as `inject` events.
 */
export function linkPeers(a: LibotrPeer, b: LibotrPeer): void {
  const route = (from: LibotrPeer, to: LibotrPeer) => (dest: string, wire: string) => {
    if (dest === to.account) void to.receive(from.account, wire).catch(() => { /* surfaced by the test */ });
    else from.queueEvent({ ev: 'inject', to: dest, wire });
  };
  a.onWire = route(a, b);
  b.onWire = route(b, a);
}

/** Waits until none of the peers has an unanswered command (wire lines in flight have been delivered). */
export async function settle(...peers: LibotrPeer[]): Promise<void> {
  for (;;) {
    await Promise.all(peers.map((p) => p.idle()));
    // A reply may have triggered more sends on a linked peer; stop only when all are idle at once.
    await new Promise((r) => setImmediate(r));
    if (peers.every((p) => !p.busy)) return;
  }
}
