// Per-peer state of the glue, keyed by the casemapped nick: the engine session, and what the
// engine cannot know: that a conversation was encrypted and must not fall back to plaintext
// silently, messages waiting for the key or the AKE, and wire lines waiting for the key.
import type { Casemapping } from '../../src/modules/api.ts';
import type { EngineSession } from './engine.ts';
import type { EndReason } from './texts.ts';

export interface Outgoing {
  /** What goes into the engine: the text, or "/me text" for an action. */
  plaintext: string;
  /** The fingerprints it may go to once the session is up (the engine's expectedFingerprints); undefined: any. */
  expected: ReadonlySet<string> | undefined;
}

export interface IncomingLine {
  text: string;
  ident: string;
  hostname: string;
  time: number;
  tags: Record<string, string>;
}

export interface Peer {
  /** Casemapped nick: the engine's peer name and the fingerprint file's user name. */
  readonly key: string;
  /** The nick as last seen, for display and as the IRC target. */
  nick: string;
  session?: EngineSession;
  /** The user wants encryption with this peer (`start`, `?OTR?`, or the conversation went secure). */
  wantSecure: boolean;
  /** Set when an encrypted conversation ended without the user's say: sends are refused until start/finish. */
  ended?: EndReason;
  /** Outgoing messages waiting for the private key or for the AKE to finish. */
  queue: Outgoing[];
  /** Incoming wire lines waiting for the private key, in order. */
  inbox: IncomingLine[];
  /** Whether the user was told that messages are waiting (once per wait). */
  toldQueued: boolean;
  /** Whether the user was told that OTR lines from this disabled nick were hidden. */
  toldIgnored: boolean;
  startTimer?: NodeJS.Timeout;
  /** While startTimer runs: the next check for a stalled AKE (see OtrGlue #armRetry). */
  retryTimer?: NodeJS.Timeout;
  /** performance.now() of the last OTR line from the peer. */
  lastOtrLine?: number;
  /** Set while one receive() reported 'unreadable' itself. */
  sawUnreadable?: boolean;
}

/** Peers remembered at most before idle ones are forgotten (a flood of nicks must not grow memory). */
export const MAX_PEERS = 1000;

/** Nothing to lose by forgetting it: no session beyond plaintext, nothing waiting, nothing to enforce. */
function idle(p: Peer): boolean {
  return (
    !p.wantSecure && p.ended === undefined && p.queue.length === 0 && p.inbox.length === 0 &&
    p.startTimer === undefined && (p.session === undefined || (p.session.state === 'plaintext' && !p.session.smpInProgress))
  );
}

export class PeerTable {
  /** In order of last use (a used peer moves to the end), so the idle ones forgotten first are the oldest. */
  readonly #peers = new Map<string, Peer>();
  constructor(private readonly cm: () => Casemapping, private readonly limit = MAX_PEERS) {}

  get(nick: string): Peer | undefined {
    return this.#peers.get(this.cm().lower(nick));
  }

  getOrCreate(nick: string): Peer {
    const key = this.cm().lower(nick);
    let p = this.#peers.get(key);
    if (!p) {
      if (this.#peers.size >= this.limit) this.#forgetIdle();
      p = { key, nick, wantSecure: false, queue: [], inbox: [], toldQueued: false, toldIgnored: false };
    } else {
      p.nick = nick;
      this.#peers.delete(key);
    }
    this.#peers.set(key, p);
    return p;
  }

  /** Forgets the least recently used idle peers, a tenth of the table at a time. */
  #forgetIdle(): void {
    let n = Math.max(1, Math.floor(this.limit / 10));
    for (const p of this.#peers.values()) {
      if (n === 0) break;
      if (!idle(p)) continue;
      p.session?.dispose();
      this.#peers.delete(p.key);
      n--;
    }
  }

  get size(): number {
    return this.#peers.size;
  }

  delete(peer: Peer): void {
    if (this.#peers.get(peer.key) === peer) this.#peers.delete(peer.key);
  }

  all(): Peer[] {
    return [...this.#peers.values()];
  }
}
