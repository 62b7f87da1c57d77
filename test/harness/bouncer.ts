// The bouncer under test: in-process from a generated Config (temp data dir, free port), or as a child
// process through the real CLI (`node --import tsx src/main.ts`, i.e. `npm start`, or npm itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Config, NetworkConfig, UserConfig } from '../../src/config/types.ts';
import { configToYaml } from '../../src/config/serialize.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { startBouncer, type BouncerOptions } from '../../src/bouncer/index.ts';
import { freePort, waitForPort, LOOPBACK } from './net.ts';
import { makeSelfSignedCert, type CertFiles } from './tls.ts';
import { IrcClient, type ConnectOptions, type RegisterOptions } from './irc-client.ts';
import type { Ngircd } from './ngircd.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** `--import tsx` resolves from the cwd; the child may run elsewhere, so pass the loader's own URL. */
const TSX_LOADER = import.meta.resolve('tsx');

export type RunningBouncer = Awaited<ReturnType<typeof startBouncer>>;

/** A network entry pointing at a test ngircd; everything not given gets a test-friendly default. */
export function networkFor(irc: Ngircd, over: Partial<NetworkConfig> & { name?: string } = {}): NetworkConfig {
  const useTls = over.tls ?? false;
  return {
    name: 'test',
    host: irc.host,
    port: useTls ? irc.tlsPort! : irc.port,
    tls: useTls,
    tlsVerify: false,
    nick: 'alice',
    channels: [],
    modules: [],
    flood: { rate: 0, burst: 5 },
    playbackLines: 500,
    ...over,
  };
}

export function userConfig(name: string, password: string, networks: NetworkConfig[] = []): UserConfig {
  return { name, password, networks };
}

export interface LogRecord {
  level: number;
  msg?: string;
  [k: string]: unknown;
}

export interface TestBouncerOptions {
  users?: UserConfig[];
  /** Add a TLS listener (self-signed certificate) beside the plain one. */
  tlsListener?: boolean;
  logLevel?: Config['logLevel'];
  /** Last word on the generated Config before start. */
  tweak?: (c: Config) => void;
  /**
   * Default true: the generated Config is written as YAML to `<dir>/otrbnc.yml`, loaded back through
   * the real loader and handed over with a ConfigStore on that file (so *status changes land there).
   * false: the Config object is passed as it is, without a store.
   */
  configFile?: boolean;
  /** More options for startBouncer (timings, moduleDirs, …). */
  options?: Partial<BouncerOptions>;
}

export interface TestBouncer {
  readonly host: string;
  /** The plain listener's port. */
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly cert: CertFiles | undefined;
  readonly config: Config;
  readonly dir: string;
  readonly dataDir: string;
  readonly configFile: string | undefined;
  readonly running: RunningBouncer;
  readonly store: ConfigStore | undefined;
  /** Everything the bouncer logged (pino records). */
  readonly logs: LogRecord[];
  waitForLog(pred: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** A raw client to the bouncer (not registered yet). */
  connect(opts?: ConnectOptions): Promise<IrcClient>;
  /** Connect + register; `pass` is typically `user/network:password`. */
  login(nick: string, reg: RegisterOptions, conn?: ConnectOptions): Promise<IrcClient>;
  /** Stops the bouncer and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function makeTempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

/** A pino logger whose records are kept in memory (and echoed to stderr when OTRBNC_TEST_LOG is set). */
export function memoryLogger(level: string): { logger: pino.Logger; records: LogRecord[]; onRecord: Set<() => void> } {
  const records: LogRecord[] = [];
  const onRecord = new Set<() => void>();
  const echo = process.env.OTRBNC_TEST_LOG !== undefined;
  const stream = {
    write(s: string) {
      if (echo) process.stderr.write(s);
      try { records.push(JSON.parse(s) as LogRecord); } catch { records.push({ level: 30, msg: s }); }
      for (const f of [...onRecord]) f();
    },
  };
  return { logger: pino({ level: process.env.OTRBNC_TEST_LOG || level }, stream), records, onRecord };
}

export function baseConfig(dir: string, port: number, users: UserConfig[] = []): Config {
  return {
    listen: [{ host: LOOPBACK, port, tls: false }],
    dataDir: join(dir, 'data'),
    logLevel: 'info',
    users,
  };
}

/** Starts the bouncer in this process. */
export async function startTestBouncer(opts: TestBouncerOptions = {}): Promise<TestBouncer> {
  const dir = makeTempDir('otrbnc-bouncer-');
  const cert = opts.tlsListener ? makeSelfSignedCert(dir) : undefined;
  const { logger, records, onRecord } = memoryLogger(opts.logLevel ?? 'info');
  let running: RunningBouncer | undefined;
  let config: Config | undefined;
  let configFile: string | undefined;
  let store: ConfigStore | undefined;
  let lastError: unknown;
  // The free port may be taken between the probe and the bouncer's bind: retry on a fresh one.
  for (let attempt = 0; attempt < 3 && running === undefined; attempt++) {
    const port = await freePort();
    config = baseConfig(dir, port, opts.users ?? []);
    config.logLevel = opts.logLevel ?? 'info';
    if (cert) config.listen.push({ host: LOOPBACK, port: await freePort(), tls: true, cert: cert.certFile, key: cert.keyFile });
    opts.tweak?.(config);
    try {
      if (opts.configFile ?? true) {
        configFile = join(dir, 'otrbnc.yml');
        writeFileSync(configFile, configToYaml(config), { mode: 0o600 });
        const loaded = loadConfigFile(configFile);
        config = loaded.config;
        store = ConfigStore.forFile(configFile, loaded.text);
      }
      running = await startBouncer(config, { ...opts.options, logger, configStore: store });
    } catch (e) {
      lastError = e;
      if (!/EADDRINUSE/.test(String((e as Error)?.message ?? e))) break;
    }
  }
  if (running === undefined || config === undefined) {
    removeTempDir(dir);
    throw lastError;
  }
  const rb = running;
  const cfg = config;
  const plain = cfg.listen.findIndex((l) => !l.tls);
  const tlsIdx = cfg.listen.findIndex((l) => l.tls);
  const ports = rb.listenPorts();
  let stopped = false;
  const tb: TestBouncer = {
    host: LOOPBACK,
    port: ports[plain] ?? cfg.listen[plain]?.port ?? 0,
    tlsPort: tlsIdx < 0 ? undefined : (ports[tlsIdx] ?? cfg.listen[tlsIdx]!.port),
    cert,
    config: cfg,
    dir,
    dataDir: cfg.dataDir,
    configFile,
    running: rb,
    store,
    logs: records,
    waitForLog(pred, timeoutMs = 5000) {
      return new Promise((resolveLog, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < records.length; seen++) {
            if (pred(records[seen]!)) {
              const r = records[seen]!;
              finish();
              resolveLog(r);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          finish();
          const last = records.slice(-15).map((r) => `  ${JSON.stringify(r)}`).join('\n');
          reject(new Error(`bouncer log: timed out after ${timeoutMs} ms; last records:\n${last}`));
        }, timeoutMs);
        const finish = () => { clearTimeout(timer); onRecord.delete(check); };
        onRecord.add(check);
        check();
      });
    },
    connect(conn = {}) {
      return IrcClient.connect(conn.tls ? tb.tlsPort! : tb.port, conn);
    },
    async login(nick, reg, conn = {}) {
      const c = await tb.connect({ name: nick, ...conn });
      try {
        await c.register(nick, reg);
      } catch (e) {
        c.socket.destroy();
        throw e;
      }
      return c;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await rb.stop();
      } finally {
        removeTempDir(dir);
      }
    },
  };
  return tb;
}

export interface SpawnOptions {
  /** A Config (written as YAML) or YAML text; omitted: no --config (embedded defaults). */
  config?: Config | string;
  /** An existing config file to pass as --config (kept on stop; e.g. to start again on the same file). */
  configPath?: string;
  /** Extra CLI arguments (e.g. ['--help'], ['hash-password']). With `config`, `--config FILE` comes first. */
  args?: string[];
  /** Run through `npm start --` instead of node directly (same command, plus npm). */
  viaNpm?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: a fresh temp dir, so ./data lands there). */
  cwd?: string;
  /** Written to stdin, then stdin is closed. */
  stdin?: string;
}

export interface BouncerProcess {
  readonly child: ChildProcess;
  /** Temp dir holding the config file (and the cwd unless given). */
  readonly dir: string;
  readonly configFile: string | undefined;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout+stderr matches; fails with the output on timeout or exit. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  waitForPort(port: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit status (fails on timeout). */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (or the given signal), wait for exit, remove the temp dir. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const liveChildren = new Map<ChildProcess, (sig: NodeJS.Signals) => void>();
process.once('exit', () => { for (const kill of liveChildren.values()) kill('SIGKILL'); });

/** Runs the CLI as a child process. */
export function spawnBouncer(opts: SpawnOptions = {}): BouncerProcess {
  const dir = makeTempDir('otrbnc-cli-');
  let configFile: string | undefined;
  const args: string[] = [];
  if (opts.config !== undefined) {
    configFile = join(dir, 'otrbnc.yml');
    writeFileSync(configFile, typeof opts.config === 'string' ? opts.config : configToYaml(opts.config), { mode: 0o600 });
    args.push('--config', configFile);
  } else if (opts.configPath !== undefined) {
    configFile = opts.configPath;
    args.push('--config', configFile);
  }
  args.push(...(opts.args ?? []));
  const cmd = opts.viaNpm ? 'npm' : process.execPath;
  const argv = opts.viaNpm
    ? ['start', '--silent', '--prefix', REPO_ROOT, '--', ...args]
    : ['--import', TSX_LOADER, join(REPO_ROOT, 'src/main.ts'), ...args];
  const child = spawn(cmd, argv, {
    cwd: opts.cwd ?? dir,
    env: { ...process.env, NODE_OPTIONS: '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    // A session of its own: no controlling terminal (as under a service manager), and a process group
    // to signal as a whole: npm runs the script through `sh -c`, which does not pass SIGTERM on to node.
    detached: true,
  });
  const group = opts.viaNpm ?? false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch { /* already gone */ }
  };
  liveChildren.set(child, signal);
  // A test that fails half-way must not be kept alive by its child: every wait here has its own timer,
  // and the 'exit' handler above kills what is left.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { _handle?: { unref?: () => void } } | null)?._handle?.unref?.();
  }
  let out = '';
  let err = '';
  const wake = new Set<() => void>();
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; for (const f of [...wake]) f(); });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; for (const f of [...wake]) f(); });
  // 'close': exited and every holder of its stdout/stderr (npm's grandchild too) is gone.
  child.once('close', (code, signal) => {
    liveChildren.delete(child);
    status = { code, signal };
    for (const f of [...wake]) f();
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);

  const describe = () => `--- stdout ---\n${out}\n--- stderr ---\n${err}`;
  const exited = (timeoutMs = 15_000) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
      const check = () => {
        if (status) { finish(); res(status); }
      };
      const timer = setTimeout(() => { finish(); rej(new Error(`otrbnc did not exit within ${timeoutMs} ms\n${describe()}`)); }, timeoutMs);
      const finish = () => { clearTimeout(timer); wake.delete(check); };
      wake.add(check);
      check();
    });

  return {
    child,
    dir,
    configFile,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(re, timeoutMs = 15_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = (out + err).match(re);
          if (m) { finish(); res(m); return; }
          if (status) { finish(); rej(new Error(`otrbnc exited (${JSON.stringify(status)}) before printing ${re}\n${describe()}`)); }
        };
        const timer = setTimeout(() => { finish(); rej(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\n${describe()}`)); }, timeoutMs);
        const finish = () => { clearTimeout(timer); wake.delete(check); };
        wake.add(check);
        check();
      });
    },
    waitForPort(port, timeoutMs = 15_000) {
      return waitForPort(port, {
        timeoutMs,
        gaveUp: () => (status ? `otrbnc exited (${JSON.stringify(status)})\n${describe()}` : undefined),
      });
    },
    exited,
    async stop(sig = 'SIGTERM') {
      if (!status) signal(sig);
      try {
        return await exited();
      } finally {
        removeTempDir(dir);
      }
    },
  };
}
