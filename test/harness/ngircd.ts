// Debian's real ngircd as the IRC network in tests: a generated config in a temp dir, loopback only,
// a free port, foreground (-n). Resolves once the port accepts connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort, LOOPBACK } from './net.ts';
import { makeSelfSignedCert, type CertFiles } from './tls.ts';

export const NGIRCD_BIN = process.env.NGIRCD_BIN ?? '/usr/sbin/ngircd';

export interface NgircdOptions {
  /** Server name (must contain a dot). Default `irc.test`. */
  name?: string;
  /** Server password (PASS) required from every client. */
  password?: string;
  motd?: string;
  /** Also listen with TLS on a second port (self-signed certificate, see `cert`). */
  tls?: boolean;
  maxNickLength?: number;
  /** Seconds of silence before the server PINGs a client, and seconds it waits for the PONG. */
  pingTimeout?: number;
  pongTimeout?: number;
  /** IRC operators (OPER name password), e.g. to KILL a client in a test. */
  opers?: { name: string; password: string }[];
  /** Extra raw lines appended to [Global]/[Limits]/[Options]. */
  extra?: { global?: string[]; limits?: string[]; options?: string[] };
  /** Ports to reuse (restart of a server that another harness object stopped). */
  port?: number;
  tlsPort?: number;
  startTimeoutMs?: number;
}

export interface Ngircd {
  readonly host: string;
  readonly port: number;
  /** Set when started with `tls: true`. */
  readonly tlsPort: number | undefined;
  readonly cert: CertFiles | undefined;
  readonly name: string;
  readonly dir: string;
  /** ngircd's console output so far (for diagnostics). */
  output(): string;
  running(): boolean;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (a crashed network, for reconnect tests) and wait for exit; the dir stays for restart(). */
  kill(): Promise<void>;
  /** Stops if running (SIGTERM), then starts again on the same port(s) and awaits readiness. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configText(o: {
  name: string; port: number; tlsPort?: number; dir: string; cert?: CertFiles; opts: NgircdOptions;
}): string {
  const { opts } = o;
  const lines = [
    '[Global]',
    `Name = ${o.name}`,
    'Info = otrbnc test network',
    'AdminInfo1 = otrbnc tests',
    'AdminInfo2 = loopback',
    'AdminEMail = tests@otrbnc.invalid',
    `Listen = ${LOOPBACK}`,
    `Ports = ${o.port}`,
    `MotdFile = ${join(o.dir, 'motd')}`,
    ...(opts.password !== undefined ? [`Password = ${opts.password}`] : []),
    ...(opts.extra?.global ?? []),
    '[Limits]',
    'MaxConnectionsIP = 0',
    'MaxConnections = 0',
    'MaxJoins = 0',
    `MaxNickLength = ${opts.maxNickLength ?? 30}`,
    // 0 turns ngircd's flood penalties off, so tests can push lines as fast as they like.
    'MaxPenaltyTime = 0',
    `PingTimeout = ${opts.pingTimeout ?? 120}`,
    `PongTimeout = ${opts.pongTimeout ?? 20}`,
    ...(opts.extra?.limits ?? []),
    '[Options]',
    'DNS = no',
    'Ident = no',
    'PAM = no',
    ...(opts.extra?.options ?? []),
  ];
  if (o.cert && o.tlsPort !== undefined) {
    lines.push('[SSL]', `CertFile = ${o.cert.certFile}`, `KeyFile = ${o.cert.keyFile}`, `Ports = ${o.tlsPort}`);
  }
  for (const op of opts.opers ?? []) {
    lines.push('[Operator]', `Name = ${op.name}`, `Password = ${op.password}`);
  }
  return lines.join('\n') + '\n';
}

export async function startNgircd(opts: NgircdOptions = {}): Promise<Ngircd> {
  const name = opts.name ?? 'irc.test';
  let dir = '';
  let cert: CertFiles | undefined;
  let port = opts.port ?? 0;
  let tlsPort = opts.tls ? (opts.tlsPort ?? 0) : undefined;
  let child: ChildProcess | undefined;
  let exited: string | undefined;
  let out = '';

  const prepareDir = () => {
    if (dir !== '' && existsSync(dir)) return;
    dir = mkdtempSync(join(tmpdir(), 'otrbnc-ngircd-'));
    dirs.add(dir);
    // ngircd switches to "nobody" after start-up; it must still be able to read its files.
    chmodSync(dir, 0o755);
    if (opts.tls) cert = makeSelfSignedCert(dir);
  };

  const spawnOnce = async () => {
    prepareDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'motd'), opts.motd ?? 'otrbnc test network\n', { mode: 0o644 });
    const confFile = join(dir, 'ngircd.conf');
    writeFileSync(confFile, configText({ name, port, tlsPort, dir, cert, opts }), { mode: 0o644 });
    exited = undefined;
    const c = spawn(NGIRCD_BIN, ['-n', '-f', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    live.add(c);
    c.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
    c.stderr!.setEncoding('utf8').on('data', (s: string) => { out += s; });
    c.once('exit', (code, signal) => {
      live.delete(c);
      exited = `ngircd exited (code ${code}, signal ${signal})`;
    });
    c.once('error', (e) => { exited = `ngircd could not start: ${e.message}`; });
    // A forgotten server must not keep a test process alive; the exit hook above kills it.
    c.unref();
    (c.stdout as unknown as { unref?: () => void }).unref?.();
    (c.stderr as unknown as { unref?: () => void }).unref?.();
    const gaveUp = () => (exited !== undefined ? `${exited}\n--- ngircd output ---\n${out}` : undefined);
    await waitForPort(port, { timeoutMs: opts.startTimeoutMs ?? 10_000, gaveUp });
    if (tlsPort !== undefined) await waitForPort(tlsPort, { timeoutMs: opts.startTimeoutMs ?? 10_000, gaveUp });
  };

  const waitExit = (c: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.ref(); // keep the loop alive until the exit is seen
      c.once('exit', () => resolve());
      c.kill(signal);
    });

  // The free port can be taken between probing and ngircd's bind: retry a few times on a fresh one.
  const fixedPorts = opts.port !== undefined;
  for (let attempt = 0; ; attempt++) {
    if (!fixedPorts) {
      port = await freePort();
      if (tlsPort !== undefined) tlsPort = await freePort();
    }
    try {
      await spawnOnce();
      break;
    } catch (e) {
      if (child) await waitExit(child, 'SIGKILL');
      if (fixedPorts || attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        dirs.delete(dir);
        throw e;
      }
    }
  }

  const handle: Ngircd = {
    host: LOOPBACK,
    get port() { return port; },
    get tlsPort() { return tlsPort; },
    get cert() { return cert; },
    name,
    get dir() { return dir; },
    output: () => out,
    running: () => child !== undefined && exited === undefined,
    async stop() {
      if (child) await waitExit(child, 'SIGTERM');
      if (dir !== '') {
        rmSync(dir, { recursive: true, force: true });
        dirs.delete(dir);
      }
    },
    async kill() {
      if (child) await waitExit(child, 'SIGKILL');
    },
    async restart() {
      if (child) await waitExit(child, 'SIGTERM');
      await spawnOnce();
    },
  };
  return handle;
}
