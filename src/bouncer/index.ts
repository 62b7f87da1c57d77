// The bouncer: users, listeners, the connect queue and the one timer that watches every network.
import type { Server, Socket } from 'node:net';
import { mkdir, chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VERSION } from '../util/version.ts';
import { tuneV8, collectStartupGarbage, idleBackgroundThreads } from './v8-tune.ts';
import type pino from 'pino';
import type { Config, NetworkConfig } from '../config/types.ts';
import { randomBytes } from 'node:crypto';
import { verifyPassword, hashPassword, parseHash } from '../auth/password.ts';
import { BUILTIN_MODULE_DIR } from '../modules/host.ts';
import { User } from './user.ts';
import { Downstream } from './downstream.ts';
import { listen } from './listener.ts';
import { runStatus } from './status.ts';
import { LoginLimiter } from './login-limit.ts';
import type { Network } from './network.ts';
import type { Upstream } from './upstream.ts';

/** What *status needs to persist its changes (src/config/store.ts's ConfigStore has this shape). */
export interface ConfigPersistence {
  addNetwork(user: string, network: NetworkConfig): Promise<void>;
  deleteNetwork(user: string, name: string): Promise<void>;
  setNetworkModules(user: string, network: string, modules: string[]): Promise<void>;
}

export interface BouncerOptions {
  logger: pino.Logger;
  configStore?: ConfigPersistence | unknown;
  /** Extra directories searched for modules/<name>/index.ts, before the built-in `modules/`. */
  moduleDirs?: string[];
  /** Delay before a wrong login is answered (default 1000 ms). */
  loginFailDelayMs?: number;
  /** Failed logins per address within loginWindowMs before that address is refused (default 5 in 60 s). */
  loginMaxFailures?: number;
  loginWindowMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Idle time before we PING a network, and the time it then has to answer (default 60 s + 60 s). */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** How often the idle/ping sweep runs (default 10 s). */
  sweepMs?: number;
  /** Networks registering at the same time (default 4). */
  connectConcurrency?: number;
  /** A client that has not logged in after this long is disconnected (default 60 s). */
  registrationTimeoutMs?: number;
}


export class Bouncer {
  readonly logger: pino.Logger;
  readonly users = new Map<string, User>();
  readonly clients = new Set<Downstream>();
  readonly dataDir: string;
  readonly moduleDirs: string[];
  readonly version = VERSION;
  readonly startedAt = Date.now();
  private servers: Server[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private connectQueue: Upstream[] = [];
  private connecting = new Set<Upstream>();
  private readonly limiter: LoginLimiter;
  private stopping = false;
  private settleTimer: NodeJS.Timeout | null = null;
  private lastSettle = 0;

  constructor(readonly config: Config, readonly opts: BouncerOptions) {
    this.logger = opts.logger;
    this.dataDir = resolve(config.dataDir);
    this.moduleDirs = [...(opts.moduleDirs ?? []), BUILTIN_MODULE_DIR];
    this.limiter = new LoginLimiter(opts.loginMaxFailures ?? 5, opts.loginWindowMs ?? 60_000);
    for (const u of config.users) this.users.set(u.name, new User(this, u));
  }

  private get store(): ConfigPersistence | undefined {
    const s = this.opts.configStore as ConfigPersistence | undefined;
    return s && typeof s.addNetwork === 'function' ? s : undefined;
  }

  /** Runs a config change through the store; returns a note for the user's reply. */
  async persist(fn: (s: ConfigPersistence) => Promise<void>): Promise<string> {
    const s = this.store;
    if (!s) return ' (not saved: no config file)';
    try {
      await fn(s);
      return '';
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'config write-back failed');
      return ` (not saved: ${(e as Error).message})`;
    }
  }

  async start(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await chmod(this.dataDir, 0o700).catch(() => {});
    for (const u of this.users.values()) for (const n of u.networks.values()) await n.loadConfiguredModules();
    try {
      for (const l of this.config.listen) {
        this.servers.push(await listen(l, (s) => this.onClient(s)));
        this.logger.info({ host: l.host, port: this.servers[this.servers.length - 1]!.address() && (this.servers[this.servers.length - 1]!.address() as { port: number }).port, tls: l.tls }, 'listening');
      }
    } catch (e) {
      for (const s of this.servers) s.close();
      throw e;
    }
    const interval = this.opts.pingIntervalMs ?? 60_000;
    const timeout = this.opts.pingTimeoutMs ?? 60_000;
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const u of this.users.values()) for (const n of u.networks.values()) n.upstream.sweep(now, interval, timeout);
      const regLimit = this.opts.registrationTimeoutMs ?? 60_000;
      for (const d of this.clients) {
        if (!d.isRegistered && now - d.connectedAt > regLimit) {
          this.logger.info({ client: d.id, addr: d.address }, 'registration timeout');
          d.close('Registration timeout');
        }
      }
    }, this.opts.sweepMs ?? 10_000);
    this.sweepTimer.unref();
    for (const u of this.users.values()) for (const n of u.networks.values()) n.upstream.connect();
    this.settleSoon(); // with no network to register; otherwise once the last one has
  }

  listenPorts(): number[] {
    return this.servers.map((s) => (s.address() as { port: number }).port);
  }

  private onClient(s: Socket): void {
    if (this.stopping) {
      s.destroy();
      return;
    }
    const d = new Downstream(this, s);
    this.clients.add(d);
  }

  clientGone(d: Downstream): void {
    this.clients.delete(d);
  }

  // ---- connect queue: a few networks register at a time, so a start with hundreds stays smooth ----

  queueConnect(up: Upstream): void {
    if (this.stopping || this.connectQueue.includes(up) || this.connecting.has(up)) return;
    this.connectQueue.push(up);
    this.pump();
  }

  connectDone(up: Upstream): void {
    if (this.connecting.delete(up)) this.pump();
    if (this.connecting.size === 0 && this.connectQueue.length === 0) this.settleSoon();
  }

  /** After a burst of registrations (start-up, reconnect wave): collect its garbage once, at most every 10 min. */
  private settleSoon(): void {
    if (this.settleTimer || this.stopping || Date.now() - this.lastSettle < 600_000) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      if (this.stopping || this.connecting.size > 0 || this.connectQueue.length > 0) return;
      this.lastSettle = Date.now();
      collectStartupGarbage();
    }, 200);
    this.settleTimer.unref();
  }

  private pump(): void {
    const max = this.opts.connectConcurrency ?? 4;
    while (this.connecting.size < max && this.connectQueue.length > 0) {
      const up = this.connectQueue.shift()!;
      if (up.state !== 'idle' || !up.wanted || !this.isLive(up.net)) continue;
      this.connecting.add(up);
      up.start();
    }
  }

  private isLive(net: Network): boolean {
    return net.user.networks.get(net.name) === net;
  }

  // ---- logins ----------------------------------------------------------------------------------

  /** Checks a login; a wrong one is answered after a delay and counts against the address. */
  async checkLogin(address: string, userName: string, password: string): Promise<boolean | 'blocked'> {
    if (this.limiter.blocked(address)) {
      this.logger.warn({ addr: address }, 'login refused: too many failures from this address');
      return 'blocked';
    }
    const user = this.users.get(userName);
    // An unknown user is checked against a throw-away scrypt hash: timing does not tell which users exist.
    const stored = user?.cfg.password ?? (await this.dummyHash());
    const ok = await verifyPassword(stored, password).catch(() => false);
    if (ok && user) {
      this.limiter.success(address);
      return true;
    }
    this.limiter.failure(address);
    this.logger.warn({ addr: address, user: userName }, 'login failed');
    await new Promise((r) => setTimeout(r, this.opts.loginFailDelayMs ?? 1000));
    return false;
  }

  private dummy: Promise<string> | undefined;
  private dummyHash(): Promise<string> {
    // Same scrypt parameters as a configured user's hash, when there is one.
    const params = this.config.users.map((u) => parseHash(u.password)).find((h) => h !== undefined);
    this.dummy ??= params
      ? hashPassword(randomBytes(12).toString('hex'), { N: params.N, r: params.r, p: params.p }).catch(() => 'x')
      : Promise.resolve(randomBytes(12).toString('hex'));
    return this.dummy;
  }

  /** A PRIVMSG from a client to a *nick. */
  virtualMessage(d: Downstream, net: Network | null, target: string, text: string): void {
    if (target.toLowerCase() === '*status') {
      void runStatus(this, d, net, text);
      return;
    }
    if (net?.modules?.command(target, text)) return;
    d.numeric('401', target, 'No such module');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.connectQueue = [];
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    const nets: Network[] = [];
    for (const u of this.users.values()) nets.push(...u.networks.values());
    await Promise.all(nets.map((n) => n.shutdown('otrbnc shutting down')));
    for (const d of [...this.clients]) {
      d.close('Bouncer shutting down');
      d.socket.destroy();
    }
    await Promise.all(closing);
    this.logger.info('stopped');
  }
}

export async function startBouncer(
  config: Config,
  opts: BouncerOptions,
): Promise<{ stop(): Promise<void>; listenPorts(): number[]; bouncer: Bouncer }> {
  tuneV8();
  void idleBackgroundThreads();
  const b = new Bouncer(config, opts);
  await b.start();
  return { stop: () => b.stop(), listenPorts: () => b.listenPorts(), bouncer: b };
}
