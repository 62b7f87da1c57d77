// The connection to a network. irc-framework drives the handshake (CAP, SASL PLAIN, PASS, NICK/USER,
// 433 → alt nick) over our own transport; at 001 the transport hands the line stream to the Network and
// the irc-framework client is dropped. Why: its per-line path (EventEmitter fan-out, lodash clones,
// middleware) and its ~15 KB per client instance cost more than the whole per-network budget; see
// docs/ARCHITECTURE.md. Reconnect, back-off and PING timeout are ours (one sweep timer for all networks).
import { EventEmitter } from 'node:events';
import { connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import IRC from 'irc-framework';
import { LineReader } from './lines.ts';
import { FloodLimiter } from './flood.ts';
import { parseLine, buildLine } from '../irc/message.ts';
import type { Network } from './network.ts';

/** Capabilities we let irc-framework request upstream; the others would change line formats clients see. */
const UPSTREAM_CAPS = new Set(['sasl', 'server-time']);
const MAX_LINE = 16384;

export type UpstreamState = 'idle' | 'connecting' | 'registering' | 'ready';

/** irc-framework transport: a plain/TLS socket with batched writes and one UTF-8 decode per chunk. */
class Transport extends EventEmitter {
  socket: Socket | TLSSocket | null = null;
  private out = '';
  private flushing = false;
  private open = false;
  handedOff = false;
  private readonly up: Upstream;
  private readonly reader: LineReader;
  private lastError: Error | null = null;

  constructor(options: { upstream: Upstream }) {
    super();
    this.up = options.upstream;
    this.reader = new LineReader(this, MAX_LINE, false);
  }

  // LineSink
  line(line: string, now: number): void {
    if (this.handedOff) this.up.net.onUpstreamLine(line, now);
    else this.up.registrationLine(line);
  }

  lineError(e: unknown, line: string): void {
    const net = this.up.net;
    net.logger.error({ user: net.user.name, network: net.name, err: (e as Error)?.stack ?? String(e), command: parseLine(line)?.command }, 'error handling a network line');
  }

  isConnected(): boolean {
    return this.open;
  }

  connect(): void {
    const cfg = this.up.net.cfg;
    const sock = cfg.tls
      ? tlsConnect({ host: cfg.host, port: cfg.port, rejectUnauthorized: cfg.tlsVerify, servername: isIp(cfg.host) ? undefined : cfg.host, onread: ON_READ } as ConnectionOptions)
      : netConnect({ host: cfg.host, port: cfg.port, onread: ON_READ });
    this.socket = sock;
    sock.setNoDelay(true);
    // One set of handlers for every connection (no closures per network): the socket knows its transport.
    (sock as OwnedSocket)[TRANSPORT] = this;
    sock.on(cfg.tls ? 'secureConnect' : 'connect', onSockConnect);
    sock.on('error', onSockError);
    sock.on('close', onSockClose);
  }

  opened(): void {
    this.open = true;
    this.emit('open');
  }

  received(chunk: Buffer): void {
    this.up.lastRx = Date.now();
    this.reader.push(chunk);
  }

  failed(e: Error): void {
    this.lastError = e;
  }

  closed(): void {
    this.open = false;
    const err = this.lastError;
    if (!this.handedOff) this.emit('close', err ?? false);
    this.up.transportClosed(this, err ? err.message : 'connection closed');
  }

  writeLine(line: string, cb?: () => void): void {
    this.queue(line);
    if (cb) process.nextTick(cb);
  }

  queue(line: string): void {
    if (!this.socket || !this.open) return;
    this.out += line + '\r\n';
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(flush, this);
    }
  }

  flushNow(): void {
    this.flushing = false;
    if (this.out && this.socket && this.open) this.socket.write(this.out);
    this.out = '';
  }

  pending(): number {
    return this.out.length + (this.socket?.writableLength ?? 0);
  }

  onceDrained(fn: () => void): void {
    const s = this.socket;
    if (!s || !this.open || s.writableLength === 0) {
      process.nextTick(fn);
      return;
    }
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      fn();
    };
    s.on('drain', done);
    s.on('close', done);
  }

  /** End after pending writes; resolves when the socket is closed (bounded). */
  end(): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.resolve();
    this.flushNow();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        s.destroy();
        resolve();
      }, 2000);
      s.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      s.end();
    });
  }

  close(force?: boolean): void {
    if (!this.socket) return;
    if (force) this.socket.destroy();
    else void this.end();
  }

  disposeSocket(): void {
    this.socket?.destroy();
  }

  setEncoding(): boolean {
    return true;
  }

  debugOut(): void {}
}

const TRANSPORT = Symbol('otrbnc.transport');
type OwnedSocket = (Socket | TLSSocket) & { [TRANSPORT]: Transport };

function onSockConnect(this: OwnedSocket): void {
  this[TRANSPORT].opened();
}
function onSockRead(this: OwnedSocket, n: number, buf: Buffer): boolean {
  this[TRANSPORT].received(buf.subarray(0, n));
  return true;
}
/**
 * Every network reads into this one buffer (net's `onread`), which skips the Readable stream layer and its
 * per-read allocations; LineReader decodes each read at once and copies any partial line it keeps.
 * Measured with the team's relay harness, 2000 round trips after its floods: 27–33 functions still to
 * optimize in that phase instead of 36–41 (the stream layer's per-read code). Node calls the callback as a
 * method of the socket, which its type does not say: hence the cast.
 */
const ON_READ = { buffer: Buffer.allocUnsafe(65536), callback: onSockRead } as unknown as OnReadOpts;
function onSockError(this: OwnedSocket, e: Error): void {
  this[TRANSPORT].failed(e);
}
function onSockClose(this: OwnedSocket): void {
  this[TRANSPORT].closed();
}

function flush(t: Transport): void {
  t.flushNow();
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}

/** Exponential back-off: base·2^attempt, capped at max, then ±25 % jitter (`rand` in [0, 1)). */
export function backoffDelay(attempt: number, base: number, max: number, rand: number): number {
  const delay = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(delay * (0.75 + rand * 0.5));
}

type IrcClient = InstanceType<typeof IRC.Client> & { otrbncUp?: Upstream | null };

/**
 * irc-framework clients are reused from one registration to the next: building one costs ~15 KB and a
 * burst of them (hundreds of networks at start) grows V8's young generation, which shows up as RSS.
 * Only the handshake uses a client, so a handful serve any number of networks.
 */
const idleClients: IrcClient[] = [];

function acquireClient(up: Upstream): IrcClient {
  let c = idleClients.pop();
  if (!c) {
    const client: IrcClient = new IRC.Client();
    client.on('nick in use', () => client.otrbncUp?.nickInUse());
    client.on('nick invalid', () => client.otrbncUp?.nickInUse());
    client.on('sasl failed', (e: { reason: string }) => client.otrbncUp?.saslFailed(e.reason));
    client.on('socket connected', () => client.otrbncUp?.socketConnected());
    c = client;
  }
  c.otrbncUp = up;
  return c;
}

function releaseClient(c: IrcClient): void {
  const conn = c.connection as { transport: unknown; connected: boolean; registered: boolean; clearTimers(): void };
  conn.clearTimers();
  conn.transport = null;
  conn.connected = false;
  conn.registered = false;
  c.otrbncUp = null;
  if (idleClients.length < 8) idleClients.push(c);
}

export class Upstream {
  readonly net: Network;
  state: UpstreamState = 'idle';
  /** The user wants this network connected (connect/disconnect from *status). */
  wanted = true;
  lastRx = 0;
  pingSent = false;
  private transport: Transport | null = null;
  private irc: IrcClient | null = null;
  private flood: FloodLimiter | null = null;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private nickTries = 0;
  private quitting: Promise<void> | null = null;

  constructor(net: Network) {
    this.net = net;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  connect(): void {
    this.wanted = true;
    if (this.state !== 'idle') return;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    this.net.user.bouncer.queueConnect(this);
  }

  /** Called by the bouncer's connect queue. */
  start(): void {
    if (this.state !== 'idle' || !this.wanted) return;
    const cfg = this.net.cfg;
    this.state = 'connecting';
    this.nickTries = 0;
    this.lastRx = Date.now();
    this.pingSent = false;
    this.flood = null;
    const client = acquireClient(this);
    this.irc = client;
    client.connect({
      host: cfg.host,
      port: cfg.port,
      tls: cfg.tls,
      nick: cfg.nick,
      username: cfg.username || cfg.nick,
      gecos: cfg.realname || cfg.nick,
      password: cfg.serverPassword || undefined,
      account: cfg.sasl ? { account: cfg.sasl.account, password: cfg.sasl.password } : {},
      auto_reconnect: false,
      ping_interval: 0,
      ping_timeout: 0,
      transport: Transport,
      upstream: this,
    });
    this.transport = (client.connection as { transport: Transport }).transport;
    this.net.logger.debug({ user: this.net.user.name, network: this.net.name, host: cfg.host, port: cfg.port }, 'connecting');
  }

  socketConnected(): void {
    this.state = 'registering';
  }

  saslFailed(reason: string): void {
    this.net.logger.warn({ user: this.net.user.name, network: this.net.name, reason }, 'SASL authentication failed');
  }

  nickInUse(): void {
    const cfg = this.net.cfg;
    this.nickTries++;
    // alt_nick first (when set), then the alt nick (or nick) with one to three underscores, then digits.
    const base = (cfg.altNick || cfg.nick).slice(0, 26);
    const k = cfg.altNick ? this.nickTries - 1 : this.nickTries;
    let next: string;
    if (k === 0) next = cfg.altNick!;
    else if (k <= 3) next = base + '_'.repeat(k);
    else next = base + String(Math.floor(Math.random() * 1000));
    this.net.logger.info({ user: this.net.user.name, network: this.net.name, nick: next }, 'nick in use, trying another');
    this.irc?.changeNick(next);
  }

  /** Lines before 001 go to irc-framework (with CAP LS narrowed); 001 hands the stream over. */
  registrationLine(line: string): void {
    const msg = parseLine(line);
    if (!msg) return;
    if (msg.command === '001') {
      this.handOff();
      this.net.onWelcome(msg);
      this.state = 'ready';
      this.attempts = 0;
      this.net.user.bouncer.connectDone(this);
      this.net.onRegistered();
      return;
    }
    if (msg.command === 'CAP' && (msg.params[1] === 'LS' || msg.params[1] === 'NEW')) {
      const caps = (msg.params[msg.params.length - 1] ?? '').split(' ').filter((c) => UPSTREAM_CAPS.has(c.split('=')[0]!));
      const params = msg.params.slice(0, -1);
      params.push(caps.join(' ') || '');
      line = buildLine(msg.prefix, 'CAP', params);
    }
    if (msg.command === 'PING') {
      this.transport?.queue('PONG :' + (msg.params[0] ?? ''));
      return;
    }
    if (msg.command === 'ERROR') {
      this.net.logger.warn({ user: this.net.user.name, network: this.net.name }, `network ERROR: ${msg.params[0] ?? ''}`);
    }
    this.transport?.emit('line', line);
  }

  private handOff(): void {
    const t = this.transport;
    const c = this.irc;
    if (t) {
      t.handedOff = true;
      t.removeAllListeners();
    }
    if (c) releaseClient(c);
    this.irc = null;
  }

  /** Send a line with the flood limit. */
  send(line: string): void {
    if (this.state !== 'ready') return;
    let flood = this.flood;
    if (flood === null) {
      // Created when needed and dropped by the sweep once settled: an idle network holds none.
      const f = this.net.cfg.flood;
      if (f.rate <= 0) {
        this.transport!.queue(line);
        return;
      }
      flood = this.flood = new FloodLimiter(f.rate, f.burst, (l) => this.transport?.queue(l));
    }
    if (!flood.send(line)) {
      this.net.logger.warn({ user: this.net.user.name, network: this.net.name }, 'outgoing flood queue full, line dropped');
      this.net.statusToClients('Too many lines queued for the network; a line was dropped.');
    }
  }

  /** Bytes not yet handed to the kernel. */
  socketPending(): number {
    return this.transport?.pending() ?? 0;
  }

  onceDrained(fn: () => void): void {
    if (this.transport) this.transport.onceDrained(fn);
    else process.nextTick(fn);
  }

  /** Send now, without the flood limit (PONG, QUIT). */
  sendNow(line: string): void {
    this.transport?.queue(line);
  }

  transportClosed(t: Transport, reason: string): void {
    if (t !== this.transport) return;
    const wasReady = this.state === 'ready';
    this.state = 'idle';
    this.transport = null;
    if (this.irc) releaseClient(this.irc);
    this.irc = null;
    this.flood?.clear();
    this.flood = null;
    this.net.user.bouncer.connectDone(this);
    this.net.logger.info({ user: this.net.user.name, network: this.net.name, reason }, 'network disconnected');
    if (wasReady || this.net.clients.length > 0) this.net.onDisconnected(reason);
    if (this.wanted && !this.quitting) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const b = this.net.user.bouncer.opts;
    const base = b.reconnectBaseMs ?? 2000;
    const max = b.reconnectMaxMs ?? 300_000;
    const jittered = backoffDelay(this.attempts, base, max, Math.random());
    this.attempts++;
    this.net.logger.info({ user: this.net.user.name, network: this.net.name, delayMs: jittered }, 'reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, jittered);
  }

  /** Called by the bouncer's sweep: PING when idle, drop when the network stays silent. */
  sweep(now: number, intervalMs: number, timeoutMs: number): void {
    if (this.state === 'idle' || !this.transport) return;
    if (this.flood !== null && this.flood.settled()) this.flood = null;
    const idle = now - this.lastRx;
    if (this.state !== 'ready') {
      if (idle > intervalMs + timeoutMs) this.transport.close(true);
      return;
    }
    if (idle > intervalMs + timeoutMs && this.pingSent) {
      this.net.logger.warn({ user: this.net.user.name, network: this.net.name }, 'ping timeout');
      this.transport.close(true);
      return;
    }
    if (idle > intervalMs && !this.pingSent) {
      this.pingSent = true;
      this.transport.queue('PING :otrbnc');
      return;
    }
    if (idle <= intervalMs) this.pingSent = false;
  }

  /** QUIT and close (disconnect, jump, delnetwork, shutdown). */
  async quit(message: string, reconnect = false): Promise<void> {
    this.wanted = reconnect;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const t = this.transport;
    if (!t) return;
    this.flood?.flushAll();
    if (this.state === 'ready' || this.state === 'registering') t.queue(buildLine('', 'QUIT', [message]));
    this.quitting = t.end();
    try {
      await this.quitting;
    } finally {
      this.quitting = null;
    }
    if (reconnect) this.connect();
  }
}
