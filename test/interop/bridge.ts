// Our engine against real libotr: one OtrSession of ours wired to one otrpeer process.
// One libotr process can serve many bridges (each bridge uses its own name on the libotr side),
// so a test file pays for one process start and one key load.
import type { KnownFingerprint, OtrEvent, Policy, ReceiveResult } from '../../src/otr/api.ts';
import { OtrAccount, type OtrSession } from '../../src/otr/index.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';
import { LibotrPeer, settle } from './libotr-peer.ts';

const routes = new WeakMap<LibotrPeer, Map<string, Bridge>>();

function routeFor(lib: LibotrPeer): Map<string, Bridge> {
  let m = routes.get(lib);
  if (!m) {
    const map = new Map<string, Bridge>();
    routes.set(lib, map);
    lib.onWire = (to, wire) => {
      const b = map.get(to);
      if (b) b.deliver(wire);
      else lib.queueEvent({ ev: 'inject', to, wire });
    };
    m = map;
  }
  return m;
}

export interface BridgeOptions {
  /** Our account's name as libotr sees it (unique per bridge on one libotr process). */
  ourName: string;
  key: DsaPrivateKey;
  policy: Policy;
  instanceTag?: number;
  /** Fingerprints our account already knows. */
  fingerprints?: KnownFingerprint[];
  /** Our engine's clock in ms (Date.now by default). */
  now?: () => number;
  /** Lines of ours for which this returns false are recorded in `sent` but never reach libotr (lost in transit). */
  deliverToLibotr?: (wire: string) => boolean;
}

export class Bridge {
  readonly account: OtrAccount;
  readonly session: OtrSession;
  /** Every event our session emitted, in order. */
  events: OtrEvent[] = [];
  /** Every message our session returned for the user. */
  received: (ReceiveResult & { kind: 'message' })[] = [];
  /** Every wire line our session sent (before libotr got it). */
  sent: string[] = [];
  /** Every wire line libotr sent us. */
  got: string[] = [];
  maxSize = 0;
  /** What libotr calls us. */
  readonly ourName: string;
  /** What we call libotr. */
  readonly libName: string;

  constructor(readonly lib: LibotrPeer, opts: BridgeOptions) {
    this.ourName = opts.ourName;
    this.libName = lib.account;
    this.account = new OtrAccount({
      name: opts.ourName, protocol: 'irc', policy: opts.policy, privateKey: opts.key, instanceTag: opts.instanceTag,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.fingerprints ? { fingerprints: opts.fingerprints } : {}),
    });
    this.session = this.account.createSession(this.libName, {
      inject: (wire) => {
        this.sent.push(wire);
        if (opts.deliverToLibotr && !opts.deliverToLibotr(wire)) return;
        void lib.receive(this.ourName, wire).catch(() => { /* the process died; the test's awaits report it */ });
      },
      event: (e) => this.events.push(e),
      maxMessageSize: () => this.maxSize,
    });
    routeFor(lib).set(this.ourName, this);
  }

  /** A wire line from libotr to us. */
  deliver(wire: string): void {
    this.got.push(wire);
    const r = this.session.receive(wire);
    if (r.kind === 'message') this.received.push(r);
  }

  /** Waits until every line in flight in either direction has been handled. */
  settle(): Promise<void> {
    return settle(this.lib);
  }

  /** Events of one type our session emitted (not removed). */
  ours<T extends OtrEvent['type']>(type: T): Extract<OtrEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<OtrEvent, { type: T }>[];
  }

  /** Removes and returns what our side collected so far. */
  reset(): { events: OtrEvent[]; received: Bridge['received']; sent: string[]; got: string[] } {
    const r = { events: this.events, received: this.received, sent: this.sent, got: this.got };
    this.events = [];
    this.received = [];
    this.sent = [];
    this.got = [];
    return r;
  }

  /** The libotr process's events about us, removed from its queue. */
  libEvents() {
    return this.lib.take((e) => ('peer' in e && e.peer === this.ourName) || ('from' in e && e.from === this.ourName));
  }

  /** Forgets this bridge on the libotr side and wipes our session. */
  async close(): Promise<void> {
    this.session.dispose();
    await this.lib.forget(this.ourName);
    this.libEvents();
    routeFor(this.lib).delete(this.ourName);
  }
}

/** Sender and recipient key ids of a data message (`?OTR:` base64), or undefined for anything else. */
export function dataKeyIds(wire: string): { sender: number; recipient: number } | undefined {
  const m = /^\?OTR:([A-Za-z0-9+/=]+)\./.exec(wire);
  if (!m) return undefined;
  const b = Buffer.from(m[1]!, 'base64');
  if (b.length < 3 || b[2] !== 0x03) return undefined;
  const off = b.readUInt16BE(0) === 3 ? 3 + 8 + 1 : 3 + 1;
  if (b.length < off + 8) return undefined;
  return { sender: b.readUInt32BE(off), recipient: b.readUInt32BE(off + 4) };
}
