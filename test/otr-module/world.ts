// End-to-end setting for the OTR module: a real ngircd; the bouncer (in process) with the otr
// module on network "net" of user alice; alice's raw IRC client on the bouncer; and bob, real
// libotr (test/interop/otrpeer) bridged onto his own IRC connection. Both IRC connections go
// through a recording relay, so a test can read every line the server carried in either direction.
import { otrStorageDir } from '../../modules/otr/cli.ts';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { startTestBouncer, networkFor, userConfig, type TestBouncer } from '../harness/bouncer.ts';
import type { IrcClient } from '../harness/irc-client.ts';
import { LOOPBACK } from '../harness/net.ts';
import { LibotrPeer, LIBOTR_POLICY } from '../interop/libotr-peer.ts';

/** A TCP relay in front of ngircd that keeps every line in both directions. */
export class RecordingRelay {
  readonly lines: string[] = [];
  /** performance.now() when each line of `lines` passed. */
  readonly times: number[] = [];
  readonly sockets = new Set<Socket>();
  /** Each relayed connection, with the nick it registered with (its first NICK line). */
  readonly connections: { nick?: string; down: Socket; up: Socket }[] = [];
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(target: { host: string; port: number }): Promise<RecordingRelay> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, LOOPBACK, () => r()));
    const relay = new RecordingRelay(server, (server.address() as { port: number }).port);
    server.on('connection', (down) => {
      const up = connect(target.port, target.host);
      down.setNoDelay(true);
      up.setNoDelay(true);
      relay.sockets.add(down).add(up);
      const conn: { nick?: string; down: Socket; up: Socket } = { down, up };
      relay.connections.push(conn);
      const tap = (dir: string) => {
        let buf = '';
        return (d: Buffer) => {
          buf += d.toString('latin1');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = Buffer.from(buf.slice(0, nl).replace(/\r$/, ''), 'latin1').toString('utf8');
            if (dir === '>' && conn.nick === undefined) conn.nick = /^NICK :?(\S+)/.exec(line)?.[1];
            relay.lines.push(`${dir} ${line}`);
            relay.times.push(performance.now());
            buf = buf.slice(nl + 1);
          }
        };
      };
      down.on('data', tap('>'));
      up.on('data', tap('<'));
      down.pipe(up);
      up.pipe(down);
      const close = () => { down.destroy(); up.destroy(); };
      down.on('error', close).on('close', close);
      up.on('error', close).on('close', close);
    });
    return relay;
  }

  /**
   * Cut the connections that registered as `nick`, both ways, as a network failure would: no QUIT,
   * the server and the client each see the socket close. Returns how many were cut.
   */
  drop(nick: string): number {
    let n = 0;
    for (const c of this.connections) {
      if (c.nick !== nick || c.down.destroyed) continue;
      c.down.destroy();
      c.up.destroy();
      n++;
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface PeerMessage {
  from: string;
  text: string;
  encrypted: boolean;
}

/** bob: libotr with an IRC connection. Every PRIVMSG to bob goes through otrl_message_receiving. */
export class LibotrIrcPeer {
  readonly messages: PeerMessage[] = [];
  /** Called for every message libotr shows bob (after it is recorded). */
  onMessage: ((m: PeerMessage) => void) | undefined;
  /** Raw lines from the server. */
  readonly lines: string[] = [];
  private buf = '';
  private chain: Promise<unknown> = Promise.resolve();
  private waiters = new Set<() => void>();

  private constructor(public nick: string, readonly otr: LibotrPeer, readonly sock: Socket, readonly dir: string) {}

  static async start(port: number, nick: string, opts: { policy?: number; mms?: number } = {}): Promise<LibotrIrcPeer> {
    const dir = mkdtempSync(join(tmpdir(), `otr-peer-${nick}-`));
    const otr = await LibotrPeer.start({
      account: nick, protocol: 'irc', policy: opts.policy ?? LIBOTR_POLICY.DEFAULT,
      genkey: join(dir, 'otr.private_key'), instags: join(dir, 'otr.instance_tags'), mms: opts.mms ?? 400,
    });
    const sock = connect(port, LOOPBACK);
    await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
    sock.setNoDelay(true); // fragments are separate writes: no Nagle delay between them
    const p = new LibotrIrcPeer(nick, otr, sock, dir);
    otr.onWire = (to, wire) => p.write(`PRIVMSG ${to} :${wire}`);
    sock.on('data', (d) => p.onData(d));
    p.write(`NICK ${nick}`);
    p.write(`USER ${nick} 0 * :${nick}`);
    await p.waitLine(/^:\S+ 001 /, 'welcome');
    p.write('JOIN #otr');
    await p.waitLine(/ 366 /, 'join');
    return p;
  }

  write(line: string): void {
    this.sock.write(line + '\r\n');
  }

  private onData(d: Buffer): void {
    this.buf += d.toString('utf8');
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.lines.push(line);
      const ping = /^PING (.*)$/.exec(line);
      if (ping) this.write(`PONG ${ping[1]}`);
      const nick = /^:([^! ]+)!\S+ NICK :?(\S+)$/.exec(line);
      if (nick && nick[1]!.toLowerCase() === this.nick.toLowerCase()) this.nick = nick[2]!;
      const m = /^:([^! ]+)!\S+ PRIVMSG (\S+) :(.*)$/.exec(line);
      if (m && m[2]!.toLowerCase() === this.nick.toLowerCase()) {
        const from = m[1]!;
        const text = m[3]!;
        this.chain = this.chain.then(async () => {
          const r = await this.otr.receive(from, text);
          if (!r.ignore && r.text !== undefined) {
            const msg = { from, text: r.text, encrypted: !!r.encrypted };
            this.messages.push(msg);
            this.onMessage?.(msg);
          }
          this.wake();
        }).catch(() => undefined);
      }
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private waitUntil<T>(get: () => T | undefined, what: string, timeoutMs = 8000): Promise<T> {
    const now = get();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = get();
        if (v === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.nick}: timed out waiting for ${what}; last lines:\n${this.lines.slice(-8).join('\n')}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  waitLine(re: RegExp, what: string, from = 0): Promise<string> {
    return this.waitUntil(() => this.lines.slice(from).find((l) => re.test(l)), what);
  }

  waitMessage(pred: (m: PeerMessage) => boolean, what: string, from = 0): Promise<PeerMessage> {
    return this.waitUntil(() => this.messages.slice(from).find(pred), what);
  }

  /** Poll libotr's context state for `peer` until it is `state`. */
  async waitState(peer: string, state: 'plaintext' | 'encrypted' | 'finished', timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.otr.state(peer);
      if (s.msgstate === state) return;
      if (Date.now() > end) throw new Error(`${this.nick}: context with ${peer} is ${s.msgstate}, not ${state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** bob types a message to `to` (libotr encrypts it, or sends it with a whitespace tag). */
  say(to: string, text: string): Promise<unknown> {
    return this.otr.send(to, text);
  }

  async close(): Promise<void> {
    await this.otr.close();
    this.sock.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface World {
  irc: Ngircd;
  relay: RecordingRelay;
  bnc: TestBouncer;
  alice: IrcClient;
  bob: LibotrIrcPeer;
  /** alice's OTR module directory on network "net". */
  otrDir: string;
  stop(): Promise<void>;
}

/** ngircd, relay, the bouncer with `modules: [otr]`, alice's client (server-time), and bob on libotr. */
export async function startWorld(opts: { bobPolicy?: number; withBob?: boolean; aliceCaps?: string[]; logLevel?: 'info' | 'debug' | 'trace'; modules?: string[] } = {}): Promise<World> {
  const irc = await startNgircd();
  const relay = await RecordingRelay.start({ host: irc.host, port: irc.port });
  // A shared channel, so that bob's QUIT and NICK reach alice's network.
  const net = networkFor(irc, { name: 'net', nick: 'alice', modules: opts.modules ?? ['otr'], channels: ['#otr'] });
  net.host = LOOPBACK;
  net.port = relay.port;
  const bnc = await startTestBouncer({ users: [userConfig('alice', 'pw', [net])], logLevel: opts.logLevel ?? 'debug' });
  const alice = await bnc.login('alice', { pass: 'alice/net:pw', caps: opts.aliceCaps ?? ['server-time'] });
  await alice.waitFor(/ JOIN :?#otr/);
  const bob = opts.withBob === false ? (undefined as unknown as LibotrIrcPeer) : await LibotrIrcPeer.start(relay.port, 'bob', { policy: opts.bobPolicy });
  return {
    irc, relay, bnc, alice, bob,
    otrDir: otrStorageDir(bnc.dataDir, 'alice', 'net'),
    async stop() {
      await alice.close().catch(() => {});
      if (bob) await bob.close().catch(() => {});
      await bnc.stop().catch(() => {});
      await relay.stop().catch(() => {});
      await irc.stop().catch(() => {});
    },
  };
}

/** alice's line to *otr. */
export function otr(w: World, line: string): void {
  w.alice.send(`PRIVMSG *otr :${line}`);
}

/** Wait for a *otr line matching `re` on alice's client. */
export function otrSays(w: World, re: RegExp, timeoutMs?: number, client = w.alice): Promise<string> {
  return client.waitFor((line) => {
    const t = otrText(line);
    return t !== undefined && re.test(t);
  }, timeoutMs);
}

/** The text of a *otr line (the trailing parameter, with or without its ':'), or undefined. */
export function otrText(line: string): string | undefined {
  const m = /^(?:@\S+ )?:\*otr!\S+ PRIVMSG \S+ (?::(.*)|(\S+))$/.exec(line);
  return m ? (m[1] ?? m[2]!) : undefined;
}

/** Polls `check` (which throws or returns false while not yet true) until it passes; for effects with no event to await (files written in the background). */
/** Sends a *otr command and returns the text of every *otr line up to a PING barrier. */
export async function askOtr(w: World, line: string): Promise<string[]> {
  w.alice.mark();
  const from = w.alice.lines.length;
  otr(w, line);
  await w.alice.sync();
  return w.alice.lines.slice(from).map(otrText).filter((t): t is string => t !== undefined);
}

export async function eventually(check: () => Promise<boolean | void> | boolean | void, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
