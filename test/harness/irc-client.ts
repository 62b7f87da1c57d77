// A raw TCP/TLS IRC client for tests: every received line is kept, `waitFor` awaits a matching one
// and fails with the last lines seen when it does not come. PINGs are answered automatically.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket, type ConnectionOptions } from 'node:tls';
import { parseLine, type ParsedLine } from './irc-line.ts';
import { LOOPBACK } from './net.ts';

export type LineMatcher = RegExp | string | ((line: string, parsed: ParsedLine) => boolean);

export interface ConnectOptions {
  host?: string;
  tls?: boolean;
  /** Extra TLS options; by default a self-signed certificate is accepted. */
  tlsOptions?: ConnectionOptions;
  /** Answer server PINGs (default true). */
  autoPong?: boolean;
  /** Default timeout of waitFor (ms). */
  timeoutMs?: number;
  /** Label used in failure messages. */
  name?: string;
}

export interface RegisterOptions {
  pass?: string;
  /** USER's first parameter (default: the nick). */
  user?: string;
  realname?: string;
  /** Capabilities to request (CAP LS 302 / REQ / END); those the server lacks are not requested. */
  caps?: string[];
  /** SASL PLAIN through CAP: authcid and password (authzid empty). */
  sasl?: { user: string; pass: string };
  /** Wait for 001 (default true). */
  expectWelcome?: boolean;
  timeoutMs?: number;
}

export interface RegisterResult {
  /** Capabilities the server acknowledged. */
  caps: Set<string>;
  /** Capabilities the server advertised in CAP LS (with values). */
  available: Map<string, string>;
  /** The 001 line, when awaited. */
  welcome?: string;
}

const DEFAULT_TIMEOUT = 5000;

function matcherText(m: LineMatcher): string {
  return typeof m === 'function' ? `predicate ${m.name || m.toString().slice(0, 120)}` : String(m);
}

function matches(m: LineMatcher, line: string): boolean {
  if (typeof m === 'string') return line.includes(m);
  if (m instanceof RegExp) { m.lastIndex = 0; return m.test(line); }
  return m(line, parseLine(line));
}

export class IrcClient {
  /** Every line received, in order, without CR LF. */
  readonly lines: string[] = [];
  /** waitFor looks at lines from this index on; a match moves it past the matched line. */
  cursor = 0;
  closed = false;
  readonly name: string;
  private buf: Buffer = Buffer.alloc(0);
  private waiters = new Set<() => void>();
  private closeWaiters: (() => void)[] = [];
  private syncCounter = 0;
  private readonly autoPong: boolean;
  readonly timeoutMs: number;

  private constructor(readonly socket: Socket | TLSSocket, opts: ConnectOptions) {
    this.autoPong = opts.autoPong ?? true;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    this.name = opts.name ?? 'client';
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
      for (const w of this.closeWaiters.splice(0)) w();
    });
    socket.on('error', () => { /* surfaced as close; tests assert on lines */ });
  }

  static connect(port: number, opts: ConnectOptions = {}): Promise<IrcClient> {
    const host = opts.host ?? LOOPBACK;
    return new Promise((resolve, reject) => {
      const sock = opts.tls
        ? tlsConnect({ port, host, rejectUnauthorized: false, ...opts.tlsOptions })
        : tcpConnect({ port, host });
      const ready = opts.tls ? 'secureConnect' : 'connect';
      const onError = (e: Error) => reject(new Error(`${opts.name ?? 'client'}: connect to ${host}:${port} failed: ${e.message}`));
      sock.once('error', onError);
      sock.once(ready, () => {
        sock.off('error', onError);
        sock.setNoDelay(true);
        resolve(new IrcClient(sock, opts));
      });
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let nl: number;
    let added = false;
    while ((nl = this.buf.indexOf(0x0a)) >= 0) {
      let end = nl;
      if (end > 0 && this.buf[end - 1] === 0x0d) end--;
      const line = this.buf.subarray(0, end).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      this.lines.push(line);
      added = true;
      if (this.autoPong && /^(@\S+ )?(:\S+ )?PING( |$)/i.test(line)) {
        const p = parseLine(line);
        this.send(`PONG :${p.params[p.params.length - 1] ?? ''}`);
      }
    }
    if (added) this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Sends one line (CR LF appended). */
  send(line: string): void {
    if (this.closed) throw new Error(`${this.name}: send on a closed connection: ${line}`);
    this.socket.write(line + '\r\n');
  }

  /** Sends bytes as they are (for malformed-input tests: no CR LF added). */
  sendRaw(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Ignore everything received so far: later waitFor calls see only new lines. */
  mark(): void {
    this.cursor = this.lines.length;
  }

  /** Lines from `from` (default: the cursor) on, parsed. */
  parsed(from = this.cursor): ParsedLine[] {
    return this.lines.slice(from).map(parseLine);
  }

  /** The first line at or after the cursor that matches; does not wait and does not move the cursor. */
  find(m: LineMatcher, from = this.cursor): string | undefined {
    for (let i = from; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (matches(m, line)) return line;
    }
    return undefined;
  }

  /**
   * Resolves with the first line at or after the cursor that matches, and moves the cursor past it.
   * Rejects (failing the test) on timeout or when the connection closes first, quoting the last lines.
   */
  waitFor(m: LineMatcher, timeoutMs = this.timeoutMs): Promise<string> {
    return new Promise((resolve, reject) => {
      let scanned = this.cursor;
      const check = (): boolean => {
        for (let i = Math.max(this.cursor, scanned); i < this.lines.length; i++, scanned = i) {
          const line = this.lines[i]!;
          if (matches(m, line)) {
            this.cursor = i + 1;
            done();
            resolve(line);
            return true;
          }
        }
        if (this.closed) {
          done();
          reject(this.failure(`connection closed while waiting for ${matcherText(m)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(this.failure(`timed out after ${timeoutMs} ms waiting for ${matcherText(m)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => { check(); };
      this.waiters.add(waiter);
      check();
    });
  }

  /** waitFor, parsed. */
  async waitForParsed(m: LineMatcher, timeoutMs?: number): Promise<ParsedLine> {
    return parseLine(await this.waitFor(m, timeoutMs));
  }

  /**
   * A barrier: sends PING with a unique token and waits for its PONG. Every line the server sent
   * before answering has then arrived, so a test can assert that something did NOT happen.
   */
  async sync(timeoutMs = this.timeoutMs): Promise<void> {
    const token = `sync-${++this.syncCounter}-${Date.now()}`;
    const from = this.cursor;
    this.send(`PING :${token}`);
    await this.waitFor((_l, p) => p.command === 'PONG' && p.params.includes(token), timeoutMs);
    // The barrier must not consume lines a later waitFor might want.
    this.cursor = from;
  }

  /** Resolves when the server closes the connection (fails on timeout with the last lines). */
  waitClosed(timeoutMs = this.timeoutMs): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`timed out after ${timeoutMs} ms waiting for close`)), timeoutMs);
      this.closeWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  private failure(what: string): Error {
    const last = this.lines.slice(-25).map((l) => `  ${l}`).join('\n');
    return new Error(`${this.name}: ${what}\nlast lines received (${this.lines.length} in all, cursor ${this.cursor}):\n${last || '  (none)'}`);
  }

  /**
   * Registers: optional CAP LS 302 / REQ / SASL PLAIN / END, PASS, NICK, USER; awaits 001 unless told not to.
   * Fails on ERROR, 464 (bad password), 433 (nick in use) or 904 (SASL failed) with the lines seen.
   */
  async register(nick: string, opts: RegisterOptions = {}): Promise<RegisterResult> {
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    const result: RegisterResult = { caps: new Set(), available: new Map() };
    const wantCaps = [...(opts.caps ?? [])];
    if (opts.sasl && !wantCaps.includes('sasl')) wantCaps.push('sasl');
    const negotiate = wantCaps.length > 0;
    if (negotiate) this.send('CAP LS 302');
    if (opts.pass !== undefined) this.send(`PASS ${opts.pass}`);
    this.send(`NICK ${nick}`);
    this.send(`USER ${opts.user ?? nick} 0 * :${opts.realname ?? nick}`);
    if (negotiate) {
      // CAP LS may span several lines: "CAP * LS * :..." continues, "CAP * LS :..." ends.
      for (;;) {
        const p = await this.waitForParsed((_l, q) => q.command === 'CAP' && q.params[1]?.toUpperCase() === 'LS', timeout);
        for (const tok of (p.params[p.params.length - 1] ?? '').split(' ')) {
          if (tok === '') continue;
          const eq = tok.indexOf('=');
          result.available.set(eq < 0 ? tok : tok.slice(0, eq), eq < 0 ? '' : tok.slice(eq + 1));
        }
        if (p.params[2] !== '*') break;
      }
      const req = wantCaps.filter((c) => result.available.has(c));
      if (req.length > 0) {
        this.send(`CAP REQ :${req.join(' ')}`);
        const p = await this.waitForParsed((_l, q) => q.command === 'CAP' && /^(ACK|NAK)$/i.test(q.params[1] ?? ''), timeout);
        if (p.params[1]!.toUpperCase() === 'ACK') {
          for (const c of (p.params[p.params.length - 1] ?? '').split(' ')) if (c) result.caps.add(c.replace(/^-/, ''));
        }
      }
      if (opts.sasl) {
        if (!result.caps.has('sasl')) throw this.failure('server did not acknowledge sasl');
        this.send('AUTHENTICATE PLAIN');
        await this.waitFor(/^(@\S+ )?(:\S+ )?AUTHENTICATE \+$/, timeout);
        const blob = Buffer.from(`\0${opts.sasl.user}\0${opts.sasl.pass}`).toString('base64');
        for (let i = 0; i < blob.length; i += 400) this.send(`AUTHENTICATE ${blob.slice(i, i + 400)}`);
        if (blob.length % 400 === 0) this.send('AUTHENTICATE +');
        const p = await this.waitForParsed((_l, q) => ['903', '904', '905', '906', 'ERROR'].includes(q.command), timeout);
        if (p.command !== '903') throw this.failure(`SASL failed: ${p.raw}`);
      }
      this.send('CAP END');
    }
    if (opts.expectWelcome === false) return result;
    const w = await this.waitForParsed(
      (_l, q) => ['001', 'ERROR', '464', '433', '432', '904'].includes(q.command), timeout);
    if (w.command !== '001') throw this.failure(`registration refused: ${w.raw}`);
    result.welcome = w.raw;
    return result;
  }

  /** Closes the connection (QUIT first when still open) and waits for the socket to close. */
  async close(quitMessage?: string): Promise<void> {
    if (this.closed) return;
    if (quitMessage !== undefined) this.socket.write(`QUIT :${quitMessage}\r\n`);
    this.socket.end();
    const done = new Promise<void>((r) => this.closeWaiters.push(r));
    const force = setTimeout(() => this.socket.destroy(), 1000);
    await done;
    clearTimeout(force);
  }
}

/** Connects and registers in one step. */
export async function connectAndRegister(
  port: number, nick: string, reg: RegisterOptions = {}, conn: ConnectOptions = {},
): Promise<IrcClient> {
  const c = await IrcClient.connect(port, { name: nick, ...conn });
  try {
    await c.register(nick, reg);
  } catch (e) {
    c.socket.destroy();
    throw e;
  }
  return c;
}
