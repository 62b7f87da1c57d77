// A client connection: registration (PASS / USER user/network / SASL PLAIN through CAP), capability
// negotiation, then relay to and from its network. Writes are joined per tick into one socket write.
import type { Socket } from 'node:net';
import { LineReader } from './lines.ts';
import { overIrcBody, parseLine, buildLine, messageLine, isoTime, rawTag, type IrcMessage } from '../irc/message.ts';
import type { Network } from './network.ts';
import type { User } from './user.ts';
import type { Bouncer } from './index.ts';
import type { PlaybackEntry } from './playback.ts';

const CAP_SERVER_TIME = 1;
const CAP_MESSAGE_TAGS = 2;
const CAP_ECHO = 4;
const CAP_BATCH = 8;
const CAP_NOTIFY = 16;
const CAP_SASL = 32;
const CAPS: Record<string, number> = {
  'server-time': CAP_SERVER_TIME,
  'message-tags': CAP_MESSAGE_TAGS,
  'echo-message': CAP_ECHO,
  batch: CAP_BATCH,
  'cap-notify': CAP_NOTIFY,
  sasl: CAP_SASL,
};
const CAP_LS = 'server-time message-tags echo-message batch cap-notify sasl';
const CAP_LS_302 = 'server-time message-tags echo-message batch cap-notify sasl=PLAIN';

/** 512 bytes for the line, plus room for client tags (IRCv3: 4094 bytes of tags). */
const MAX_CLIENT_LINE = 512 + 4096;
const MAX_LINES_BEFORE_LOGIN = 40;
const PRE_REGISTRATION = new Set(['CAP', 'PASS', 'NICK', 'USER', 'AUTHENTICATE', 'PING', 'PONG', 'QUIT']);
/** Backpressure: stop reading a client while its network's socket has this much unsent. */
const MAX_PENDING_UPSTREAM = 1 << 20;

let nextId = 1;

export class Downstream {
  readonly id = nextId++;
  readonly socket: Socket;
  readonly address: string;
  private readonly bouncer: Bouncer;
  private readonly reader: LineReader;
  private out = '';
  private flushing = false;
  private caps = 0;
  private capNegotiating = false;
  private registered = false;
  private authenticating = false;
  private linesBeforeLogin = 0;
  private pass: string | undefined;
  private userParam: string | undefined;
  private sasl: { user: string; network: string | undefined } | undefined;
  private saslBuf = '';
  nick = '*';
  user: User | null = null;
  network: Network | null = null;
  closed = false;
  readonly connectedAt = Date.now();

  constructor(bouncer: Bouncer, socket: Socket) {
    this.bouncer = bouncer;
    this.socket = socket;
    this.address = socket.remoteAddress ?? '?';
    this.reader = new LineReader(this, MAX_CLIENT_LINE, true);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (e) => this.log('debug', `client socket error: ${e.message}`));
    socket.on('close', () => this.onClose());
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  get echoMessage(): boolean {
    return (this.caps & CAP_ECHO) !== 0;
  }
  get capNames(): string[] {
    return Object.keys(CAPS).filter((k) => (this.caps & CAPS[k]!) !== 0);
  }
  private get serverName(): string {
    return this.network?.clientServerName ?? 'otrbnc';
  }

  private log(level: 'debug' | 'info' | 'warn', msg: string): void {
    this.bouncer.logger[level]({ client: this.id, addr: this.address, user: this.user?.name }, msg);
  }

  // ---- output ---------------------------------------------------------------------------------

  write(line: string): void {
    if (this.closed) return;
    this.out += line + '\r\n';
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(flushDownstream, this);
    }
  }

  flushNow(): void {
    this.flushing = false;
    if (this.closed || !this.out) return;
    const s = this.out;
    this.out = '';
    this.socket.write(s);
    if (this.socket.writableLength > 16 << 20) {
      this.log('warn', 'client does not read; disconnecting');
      this.close('Send queue exceeded');
    }
  }

  /** A line from the network (tags in `msg.tags`), adapted to this client's capabilities. */
  relay(line: string, msg: IrcMessage, now: number): void {
    const caps = this.caps;
    if ((caps & (CAP_SERVER_TIME | CAP_MESSAGE_TAGS)) === 0) {
      this.write(msg.bodyStart === 0 ? line : line.slice(msg.bodyStart));
      return;
    }
    const body = msg.bodyStart === 0 ? line : line.slice(msg.bodyStart);
    if ((caps & CAP_MESSAGE_TAGS) !== 0 && msg.tags) {
      this.write(rawTag(msg.tags, 'time') !== undefined ? '@' + msg.tags + ' ' + body : '@time=' + isoTime(now) + ';' + msg.tags + ' ' + body);
      return;
    }
    const t = msg.tags ? rawTag(msg.tags, 'time') : undefined;
    if ((caps & CAP_SERVER_TIME) !== 0) this.write('@time=' + (t ?? isoTime(now)) + ' ' + body);
    else this.write(body);
  }

  /** A line the bouncer makes (echo, virtual nicks), stamped with server-time where the client has it. */
  writeTimed(line: string, now: number): void {
    if ((this.caps & CAP_SERVER_TIME) !== 0) this.write('@time=' + isoTime(now) + ' ' + line);
    else this.write(line);
  }

  numeric(code: string, ...params: string[]): void {
    this.write(buildLine(this.serverName, code, [this.nick, ...params]));
  }

  /** A message from *status. */
  status(text: string): void {
    this.writeTimed(messageLine('*status!status@otrbnc', 'PRIVMSG', this.nick, text), Date.now());
  }

  close(reason: string): void {
    if (this.closed) return;
    this.write(buildLine('', 'ERROR', [`Closing link: ${reason}`]));
    this.flushNow();
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onClose(): void {
    this.closed = true;
    this.network?.detach(this);
    this.user?.clientGone(this);
    this.bouncer.clientGone(this);
    if (this.registered) this.log('info', 'client detached');
  }

  // ---- input ----------------------------------------------------------------------------------

  lineError(e: unknown, line: string): void {
    this.bouncer.logger.error({ client: this.id, user: this.user?.name, err: (e as Error)?.stack ?? String(e), command: line.split(' ', 2).join(' ').slice(0, 40) }, 'error handling a client line');
  }

  tooLong(): void {
    this.log('debug', 'over-long line dropped');
    this.numeric('417', 'Input line was too long');
  }

  badLine(reason: string): void {
    this.log('debug', `line dropped: ${reason}`);
    this.write(buildLine(this.serverName, 'FAIL', ['*', 'INVALID_UTF8', `Line dropped: ${reason}`]));
  }

  line(line: string, now: number): void {
    if (this.closed) return;
    if (!this.registered) {
      this.preRegistration(line);
      return;
    }
    const msg = parseLine(line);
    if (!msg) return;
    const net = this.network;
    // IRC's 512 bytes (without tags). A message may be longer when a module handles outgoing messages:
    // it may split it itself (the OTR module fragments to the exact budget).
    if (overIrcBody(line, msg.bodyStart)) {
      const moduleMayHandle = (msg.command === 'PRIVMSG' || msg.command === 'NOTICE') && net?.modules?.hasOutgoing === true;
      if (!moduleMayHandle) {
        this.tooLong();
        return;
      }
    }
    switch (msg.command) {
      case 'PRIVMSG':
      case 'NOTICE':
        if (net) {
          net.fromClient(this, line, msg, now);
          const sock = net.upstream.socketPending();
          if (sock > MAX_PENDING_UPSTREAM) this.pauseUntilUpstreamDrains();
        } else if (msg.command === 'PRIVMSG' && msg.params[0]?.startsWith('*')) {
          this.bouncer.virtualMessage(this, null, msg.params[0], msg.params[1] ?? '');
        } else this.status('You are not attached to a network. Use addnetwork, or log in as user/network.');
        return;
      case 'PING':
      case 'PONG':
      case 'QUIT':
        this.linkCommand(msg);
        return;
      case 'CAP':
        this.onCap(msg);
        return;
      case 'PASS':
      case 'USER':
        this.numeric('462', 'You may not reregister');
        return;
      case 'AUTHENTICATE':
        this.numeric('907', 'You have already authenticated');
        return;
      case 'TAGMSG':
        // Tag-only messages (typing notices…) need message-tags upstream, which we do not request.
        return;
    }
    if (!/^[A-Z]+$/.test(msg.command)) {
      this.numeric('421', msg.command, 'Unknown command');
      return;
    }
    if (!net) {
      this.numeric('421', msg.command, 'Not attached to a network');
      return;
    }
    net.fromClient(this, line, msg, now);
  }

  private pauseUntilUpstreamDrains(): void {
    const net = this.network;
    if (!net) return;
    this.socket.pause();
    net.upstream.onceDrained(() => {
      if (!this.closed) this.socket.resume();
    });
  }

  private preRegistration(line: string): void {
    if (++this.linesBeforeLogin > MAX_LINES_BEFORE_LOGIN) {
      this.log('info', 'too many lines before registration');
      this.close('Too many lines before registration');
      return;
    }
    const msg = parseLine(line);
    if (!msg) return;
    if (this.authenticating && msg.command !== 'AUTHENTICATE' && msg.command !== 'CAP' && msg.command !== 'QUIT') {
      // Lines while a login is being checked wait their turn would be nicer; refusing is simpler and safe.
      this.numeric('451', 'Wait for the login to finish');
      return;
    }
    switch (msg.command) {
      case 'CAP':
        this.onCap(msg);
        break;
      case 'PASS':
        this.pass = msg.params[0];
        break;
      case 'NICK':
        if (msg.params[0]) this.nick = msg.params[0];
        break;
      case 'USER':
        this.userParam = msg.params[0];
        break;
      case 'AUTHENTICATE':
        this.onAuthenticate(msg);
        return;
      case 'PING':
      case 'PONG':
      case 'QUIT':
        this.linkCommand(msg);
        return;
      default:
        if (!PRE_REGISTRATION.has(msg.command)) this.write(buildLine('otrbnc', '451', [this.nick, 'You have not registered']));
        return;
    }
    this.maybeLogin();
  }

  /** PING, PONG and QUIT, the same before and after registration. */
  private linkCommand(msg: IrcMessage): void {
    if (msg.command === 'PING') this.write(buildLine(this.serverName, 'PONG', [this.serverName, msg.params[0] ?? '']));
    else if (msg.command === 'QUIT') this.close('Client quit');
  }

  private onCap(msg: IrcMessage): void {
    const sub = (msg.params[0] ?? '').toUpperCase();
    const srv = this.registered ? this.serverName : 'otrbnc';
    switch (sub) {
      case 'LS':
        if (!this.registered) this.capNegotiating = true;
        if (msg.params[1] && Number(msg.params[1]) >= 302) this.caps |= CAP_NOTIFY;
        this.write(buildLine(srv, 'CAP', [this.nick, 'LS', Number(msg.params[1]) >= 302 ? CAP_LS_302 : CAP_LS]));
        return;
      case 'LIST':
        this.write(buildLine(srv, 'CAP', [this.nick, 'LIST', this.capNames.join(' ')]));
        return;
      case 'REQ': {
        if (!this.registered) this.capNegotiating = true;
        const req = msg.params[1] ?? '';
        let add = 0;
        let del = 0;
        for (const c of req.split(' ')) {
          if (!c) continue;
          const neg = c.startsWith('-');
          const bit = CAPS[neg ? c.slice(1) : c];
          if (bit === undefined) {
            this.write(buildLine(srv, 'CAP', [this.nick, 'NAK', req]));
            return;
          }
          if (neg) del |= bit;
          else add |= bit;
        }
        this.caps = (this.caps | add) & ~del;
        this.write(buildLine(srv, 'CAP', [this.nick, 'ACK', req]));
        return;
      }
      case 'END':
        this.capNegotiating = false;
        if (!this.registered) this.maybeLogin();
        return;
      default:
        this.write(buildLine(srv, '410', [this.nick, sub, 'Invalid CAP command']));
    }
  }

  private onAuthenticate(msg: IrcMessage): void {
    const arg = msg.params[0] ?? '';
    if ((this.caps & CAP_SASL) === 0) {
      this.write(buildLine('otrbnc', '904', [this.nick, 'SASL not negotiated']));
      return;
    }
    if (arg === '*') {
      this.saslBuf = '';
      this.write(buildLine('otrbnc', '906', [this.nick, 'SASL authentication aborted']));
      return;
    }
    if (arg.toUpperCase() === 'PLAIN' && this.saslBuf === '') {
      this.saslBuf = '=';
      this.write('AUTHENTICATE +');
      return;
    }
    if (this.saslBuf === '') {
      this.write(buildLine('otrbnc', '908', [this.nick, 'PLAIN', 'are available SASL mechanisms']));
      this.write(buildLine('otrbnc', '904', [this.nick, 'SASL authentication failed']));
      return;
    }
    if (arg !== '+') this.saslBuf += arg;
    if (arg.length === 400) return; // more chunks follow
    const data = Buffer.from(this.saslBuf.slice(1), 'base64').toString('utf8');
    this.saslBuf = '';
    const parts = data.split('\0');
    if (parts.length !== 3) {
      this.write(buildLine('otrbnc', '904', [this.nick, 'SASL authentication failed']));
      return;
    }
    const [, authcid, password] = parts as [string, string, string];
    const { user, network } = splitUserNetwork(authcid);
    this.authenticating = true;
    void this.bouncer.checkLogin(this.address, user, password).then((ok) => {
      this.authenticating = false;
      if (this.closed) return;
      if (ok === 'blocked') {
        this.close('Too many failed logins; try again later');
        return;
      }
      if (!ok) {
        this.write(buildLine('otrbnc', '904', [this.nick, 'SASL authentication failed']));
        return;
      }
      this.sasl = { user, network };
      this.write(buildLine('otrbnc', '900', [this.nick, `${this.nick}!${user}@otrbnc`, user, `You are now logged in as ${user}`]));
      this.write(buildLine('otrbnc', '903', [this.nick, 'SASL authentication successful']));
      this.maybeLogin();
    });
  }

  private maybeLogin(): void {
    if (this.registered || this.authenticating || this.capNegotiating || this.nick === '*' || this.userParam === undefined) return;
    if (this.sasl) {
      const net = this.sasl.network ?? splitUserNetwork(this.userParam).network;
      this.finishLogin(this.sasl.user, net);
      return;
    }
    if (this.pass === undefined) {
      this.fail('Password required: PASS user/network:password');
      return;
    }
    // PASS user/network:password | user:password | password (user from USER user[/network]).
    let user: string;
    let network: string | undefined;
    let password: string;
    const colon = this.pass.indexOf(':');
    const fromUser = splitUserNetwork(this.userParam);
    if (colon > 0) {
      ({ user, network } = splitUserNetwork(this.pass.slice(0, colon)));
      password = this.pass.slice(colon + 1);
      network ??= fromUser.network;
    } else {
      user = fromUser.user;
      network = fromUser.network;
      password = this.pass;
    }
    this.authenticating = true;
    void this.bouncer.checkLogin(this.address, user, password).then((ok) => {
      this.authenticating = false;
      if (this.closed) return;
      if (ok === 'blocked') this.close('Too many failed logins; try again later');
      else if (!ok) this.fail('Invalid username or password');
      else this.finishLogin(user, network);
    });
  }

  private fail(reason: string): void {
    this.log('info', `login failed: ${reason}`);
    this.write(buildLine('otrbnc', '464', [this.nick, reason]));
    this.close(reason);
  }

  private finishLogin(userName: string, networkName: string | undefined): void {
    const user = this.bouncer.users.get(userName);
    if (!user) {
      this.fail('Invalid username or password');
      return;
    }
    let net: Network | null = null;
    if (networkName !== undefined) {
      net = user.networks.get(networkName) ?? null;
      if (!net) {
        this.fail(`No network named ${networkName}`);
        return;
      }
    } else {
      net = user.networks.values().next().value ?? null;
    }
    this.registered = true;
    this.user = user;
    this.network = net;
    user.clientJoined(this);
    this.log('info', `client attached to ${net ? net.name : '(no network)'}`);
    if (net) net.attach(this);
    else {
      this.sendWelcome(null);
      this.status('You have no network yet. Add one: /msg *status addnetwork <name> <host> [+]<port> [nick]');
    }
  }

  /** 001–005 and the end of MOTD. */
  sendWelcome(net: Network | null): void {
    if (net) this.nick = net.nick;
    const srv = this.serverName;
    this.numeric('001', `Welcome to otrbnc, ${this.nick}`);
    const w = net?.welcome;
    if (w && w.length >= 3) {
      this.write(buildLine(srv, '002', [this.nick, ...w[0]!]));
      this.write(buildLine(srv, '003', [this.nick, ...w[1]!]));
      this.write(buildLine(srv, '004', [this.nick, ...w[2]!]));
    } else {
      this.numeric('002', `Your host is ${srv}, running otrbnc`);
      this.numeric('003', 'This server was created some time ago');
      this.numeric('004', srv, 'otrbnc', 'iowrs', 'biklmnopstv');
    }
    const lines = net?.isupport.lines() ?? [];
    if (lines.length === 0) lines.push(['CASEMAPPING=rfc1459', 'CHANTYPES=#&', 'PREFIX=(ov)@+']);
    for (const tokens of lines) this.write(buildLine(srv, '005', [this.nick, ...tokens, 'are supported by this server']));
    this.numeric('422', 'MOTD File is missing');
  }

  /** Messages kept while detached: inside a batch with server-time, else with a [HH:MM:SS] prefix. */
  playback(entries: PlaybackEntry[], net: Network): void {
    if (entries.length === 0) return;
    const timed = (this.caps & CAP_SERVER_TIME) !== 0;
    const batch = timed && (this.caps & CAP_BATCH) !== 0 ? `pb${this.id}x${Date.now().toString(36)}` : '';
    if (batch) this.write(`:${net.clientServerName} BATCH +${batch} znc.in/playback`);
    for (const e of entries) {
      if (timed) {
        this.write('@' + (batch ? `batch=${batch};` : '') + 'time=' + isoTime(e.time) + ' ' + e.line);
        continue;
      }
      const m = parseLine(e.line);
      if (!m || m.params.length < 2) continue;
      const stamp = `[${hhmmss(e.time)}] `;
      let text = m.params[m.params.length - 1]!;
      text = text.startsWith('\x01ACTION ') ? '\x01ACTION ' + stamp + text.slice(8) : stamp + text;
      this.write(messageLine(m.prefix, m.command, m.params[0]!, text));
    }
    if (batch) this.write(`:${net.clientServerName} BATCH -${batch}`);
  }
}

function flushDownstream(d: Downstream): void {
  d.flushNow();
}

function hhmmss(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => (n < 10 ? '0' : '') + n;
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function splitUserNetwork(s: string): { user: string; network: string | undefined } {
  const slash = s.indexOf('/');
  if (slash < 0) return { user: s, network: undefined };
  return { user: s.slice(0, slash), network: s.slice(slash + 1) || undefined };
}
