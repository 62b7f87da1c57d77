// One network of one user: the state a client needs on attach (nick, prefix, ISUPPORT, channels) and the
// relay between its upstream connection and its attached clients. Hot path: onUpstreamLine → clients.
import type { NetworkConfig } from '../config/types.ts';
import type { Logger } from 'pino';
import type { ClientMessage, MessageEvent, OwnPrefix } from '../modules/api.ts';
import { overIrcBody, parseLine, prefixNick, parsePrefix, buildLine, messageLine, decodeTags, rawTag, actionText, textLines, isLineToken, type IrcMessage } from '../irc/message.ts';
import { ISupport } from '../irc/isupport.ts';
import { Playback, type PlaybackEntry } from './playback.ts';
import { Upstream } from './upstream.ts';
import type { Downstream } from './downstream.ts';
import type { User } from './user.ts';
import { ModuleHost } from '../modules/host.ts';

export interface Channel {
  name: string;
  topic: string;
  topicWho: string;
  topicTime: string;
  /** lower-cased nick → nick with its prefix symbols, e.g. `@alice`. */
  names: Map<string, string>;
  /** Collecting a fresh 353 list. */
  namesPending: boolean;
}

const DEFAULT_ISUPPORT = new ISupport();
/** Shared by every network without clients or channels to rejoin (never mutated: both are replaced). */
const NO_CLIENTS: Downstream[] = Object.freeze([]) as unknown as Downstream[];
const NO_CHANNELS: string[] = Object.freeze([]) as unknown as string[];

/** Strings kept for a long time are copied so they do not pin the socket chunk they were sliced from. */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * 002–004 parameters and 005 tokens are the same for every network on one server: one copy for all.
 * Bounded (cleared when full) so a flood of distinct servers cannot grow it without end.
 */
const sharedStrings = new Map<string, string>();
const sharedParams = new Map<string, string[]>();
const MAX_SHARED = 4096;

function interned(s: string): string {
  let v = sharedStrings.get(s);
  if (v === undefined) {
    if (sharedStrings.size >= MAX_SHARED) sharedStrings.clear();
    v = own(s);
    sharedStrings.set(v, v);
  }
  return v;
}

/** The same (never mutated) array for equal parameter lists. */
function internedParams(params: string[]): string[] {
  const key = params.join('\n');
  let v = sharedParams.get(key);
  if (v === undefined) {
    if (sharedParams.size >= MAX_SHARED) sharedParams.clear();
    v = params.map(interned);
    sharedParams.set(interned(key), v);
  }
  return v;
}

/** One ISupport for all networks whose 005 tokens are equal (shared ones are never changed: see on005). */
const sharedISupport = new Map<string, ISupport>();
const isShared = new WeakSet<ISupport>();

function internedISupport(is: ISupport): ISupport {
  const key = is.tokens.join(' ');
  const v = sharedISupport.get(key);
  if (v !== undefined) return v;
  if (sharedISupport.size >= 256) sharedISupport.clear();
  sharedISupport.set(interned(key), is);
  isShared.add(is);
  return is;
}

export class Network {
  readonly user: User;
  cfg: NetworkConfig;
  readonly upstream: Upstream;
  /** Replaced, never mutated in place: the relay loops iterate over it while clients come and go. */
  clients: Downstream[] = NO_CLIENTS;
  nick: string;
  ident = '';
  host = '';
  /** Name the network's server gave itself in 001 (used as our prefix to clients). */
  serverName = '';
  /** Parameters of 002–004, kept for attach. */
  welcome: string[][] | null = null;
  private isupportOwn: ISupport | null = null;
  channels: Map<string, Channel> | null = null;
  private playback: Playback | null = null;
  /** Replies of virtual nicks while no client is attached. */
  private pendingReplies: PlaybackEntry[] | null = null;
  modules: ModuleHost | null = null;
  /** Channels to join after (re)connect: config channels plus those we were in. */
  private rejoin: string[] = NO_CHANNELS;
  /** A WHO on our own nick is under way; its replies are ours, not the clients'. */
  private whoSelf = false;

  constructor(user: User, cfg: NetworkConfig) {
    this.user = user;
    this.cfg = cfg;
    this.nick = cfg.nick;
    this.upstream = new Upstream(this);
  }

  get name(): string {
    return this.cfg.name;
  }
  get logger(): Logger {
    return this.user.bouncer.logger;
  }
  get isupport(): ISupport {
    return this.isupportOwn ?? DEFAULT_ISUPPORT;
  }
  get connected(): boolean {
    return this.upstream.ready;
  }
  /** Our prefix as the network relays our lines. */
  get prefix(): string {
    return this.ident && this.host ? `${this.nick}!${this.ident}@${this.host}` : this.nick;
  }
  ownPrefix(): OwnPrefix | undefined {
    return this.ident && this.host ? { nick: this.nick, ident: this.ident, hostname: this.host } : undefined;
  }
  get clientServerName(): string {
    return this.serverName || 'otrbnc';
  }

  async loadConfiguredModules(): Promise<void> {
    for (const m of this.cfg.modules) {
      const err = await this.moduleHost().load(m);
      if (err) this.logger.error({ user: this.user.name, network: this.name, module: m }, `module not loaded: ${err}`);
    }
  }

  moduleHost(): ModuleHost {
    if (!this.modules) this.modules = new ModuleHost(this);
    return this.modules;
  }

  // ---- upstream side ---------------------------------------------------------------------------

  onWelcome(msg: IrcMessage): void {
    this.serverName = interned(msg.prefix);
    this.ident = '';
    this.host = '';
    this.whoSelf = false;
    if (msg.params[0]) this.nick = own(msg.params[0]);
    // Many servers end 001 with nick!ident@host.
    const last = msg.params[msg.params.length - 1] ?? '';
    const words = last.split(' ');
    const mask = words[words.length - 1] ?? '';
    if (mask.includes('!') && mask.includes('@')) {
      const src = parsePrefix(mask);
      if (src.nick === this.nick) {
        this.ident = own(src.ident);
        this.host = own(src.host);
      }
    }
    this.welcome = [];
    this.isupportOwn = new ISupport();
    this.channels = null;
  }

  /** Registration finished (001 seen): join channels, tell clients and modules. */
  onRegistered(): void {
    this.logger.info({ user: this.user.name, network: this.name, nick: this.nick }, 'network connected');
    const want = new Set<string>();
    const joined: string[] = [];
    for (const c of [...this.cfg.channels, ...this.rejoin]) {
      const k = this.isupport.casemapping.lower(c);
      if (!want.has(k)) {
        want.add(k);
        joined.push(c);
      }
    }
    // JOIN lines of at most ~400 bytes.
    let batch = '';
    for (const c of joined) {
      if (batch && batch.length + c.length > 400) {
        this.upstream.send('JOIN ' + batch);
        batch = '';
      }
      batch = batch ? batch + ',' + c : c;
    }
    if (batch) this.upstream.send('JOIN ' + batch);
    // Our exact prefix (modules size lines by it): not every 001 carries it, a WHO on ourselves does.
    if (!this.ident || !this.host) {
      this.whoSelf = true;
      this.upstream.send('WHO ' + this.nick);
    }
    for (const d of this.clients) {
      if (d.nick !== this.nick) {
        d.write(`:${d.nick} NICK :${this.nick}`);
        d.nick = this.nick;
      }
    }
    this.statusToClients(`Connected to ${this.name} as ${this.nick}.`);
    this.modules?.connected();
  }

  onDisconnected(reason: string): void {
    if (this.channels) {
      const names = [...this.rejoin];
      for (const ch of this.channels.values()) names.push(ch.name);
      this.rejoin = [...new Set(names)];
    }
    this.channels = null;
    this.statusToClients(`Disconnected from ${this.name}: ${reason}`);
    this.modules?.disconnected();
  }

  /** A line from the network after registration. */
  onUpstreamLine(line: string, now: number): void {
    const msg = parseLine(line);
    if (!msg) return;
    const cmd = msg.command;
    if (cmd === 'PRIVMSG' || cmd === 'NOTICE') {
      this.onMessage(line, msg, now);
      return;
    }
    switch (cmd) {
      case 'PING':
        this.upstream.sendNow('PONG :' + (msg.params[0] ?? ''));
        return;
      case 'PONG':
        return;
      case '001':
      case '002':
      case '003':
      case '004':
        if (cmd !== '001' && this.welcome) this.welcome.push(internedParams(msg.params.slice(1)));
        return;
      case '005':
        this.on005(msg.params.slice(1, -1).map(interned));
        return;
      case '376': // end of MOTD, or no MOTD: the 005 burst is over
      case '422':
        if (this.isupportOwn) this.isupportOwn = internedISupport(this.isupportOwn);
        break;
      case 'JOIN':
        this.onJoin(msg);
        break;
      case 'PART':
        this.onPart(msg.params[0] ?? '', prefixNick(msg.prefix));
        break;
      case 'KICK':
        this.onPart(msg.params[0] ?? '', msg.params[1] ?? '');
        break;
      case 'QUIT':
        this.onQuit(msg);
        break;
      case 'NICK':
        this.onNick(msg);
        break;
      case 'TOPIC': {
        const ch = this.channel(msg.params[0]);
        if (ch) {
          ch.topic = own(msg.params[1] ?? '');
          ch.topicWho = own(msg.prefix);
          ch.topicTime = String(Math.floor(now / 1000));
        }
        break;
      }
      case '332': {
        const ch = this.channel(msg.params[1]);
        if (ch) ch.topic = own(msg.params[2] ?? '');
        break;
      }
      case '333': {
        const ch = this.channel(msg.params[1]);
        if (ch) {
          ch.topicWho = own(msg.params[2] ?? '');
          ch.topicTime = own(msg.params[3] ?? '');
        }
        break;
      }
      case '353':
        this.onNames(msg);
        break;
      case '366': {
        const ch = this.channel(msg.params[1]);
        if (ch) ch.namesPending = false;
        break;
      }
      case 'MODE':
        this.onMode(msg);
        break;
      case '352': // WHO reply: <me> <channel> <user> <host> <server> <nick> …
        if (this.isOwn(msg.params[5] ?? '')) {
          this.ident = own(msg.params[2] ?? this.ident);
          this.host = own(msg.params[3] ?? this.host);
          this.logger.debug({ user: this.user.name, network: this.name, prefix: this.prefix }, 'own prefix from WHO');
        }
        if (this.whoSelf) return;
        break;
      case '315':
        if (this.whoSelf && this.isOwn(msg.params[1] ?? '')) {
          this.whoSelf = false;
          return;
        }
        break;
      case '396': // displayed host
        if (msg.params[1]) this.host = own(msg.params[1]);
        break;
      case 'CHGHOST':
        if (this.isOwn(prefixNick(msg.prefix))) {
          this.ident = own(msg.params[0] ?? this.ident);
          this.host = own(msg.params[1] ?? this.host);
        }
        break;
      case 'ERROR':
        this.logger.warn({ user: this.user.name, network: this.name }, `network ERROR: ${msg.params[0] ?? ''}`);
        return;
      case 'CAP':
      case 'AUTHENTICATE':
        return;
    }
    const clients = this.clients;
    for (let i = 0; i < clients.length; i++) clients[i]!.relay(line, msg, now);
  }

  private on005(tokens: string[]): void {
    let is = this.isupportOwn;
    if (!is) is = new ISupport();
    else if (isShared.has(is)) {
      // Shared with other networks: change a copy.
      const copy = new ISupport();
      copy.add(is.tokens);
      is = copy;
    }
    is.add(tokens);
    this.isupportOwn = is;
  }

  private isOwn(nick: string): boolean {
    return this.isupport.casemapping.equal(nick, this.nick);
  }

  channel(name: string | undefined): Channel | undefined {
    if (!name || !this.channels) return undefined;
    return this.channels.get(this.isupport.casemapping.lower(name));
  }

  private onJoin(msg: IrcMessage): void {
    const src = parsePrefix(msg.prefix);
    const name = msg.params[0] ?? '';
    const cm = this.isupport.casemapping;
    if (cm.equal(src.nick, this.nick)) {
      if (src.ident) this.ident = own(src.ident);
      if (src.host) this.host = own(src.host);
      if (!this.channels) this.channels = new Map();
      this.channels.set(cm.lower(name), { name: own(name), topic: '', topicWho: '', topicTime: '', names: new Map(), namesPending: false });
      return;
    }
    const ch = this.channel(name);
    if (ch) ch.names.set(cm.lower(src.nick), own(src.nick));
  }

  private onPart(chan: string, nick: string): void {
    const cm = this.isupport.casemapping;
    if (cm.equal(nick, this.nick)) {
      this.channels?.delete(cm.lower(chan));
      const k = cm.lower(chan);
      this.rejoin = this.rejoin.filter((c) => cm.lower(c) !== k);
      return;
    }
    this.channel(chan)?.names.delete(cm.lower(nick));
  }

  private onQuit(msg: IrcMessage): void {
    const src = parsePrefix(msg.prefix);
    const cm = this.isupport.casemapping;
    const k = cm.lower(src.nick);
    if (this.channels) for (const ch of this.channels.values()) ch.names.delete(k);
    if (!cm.equal(src.nick, this.nick)) {
      this.modules?.peerQuit({ nick: src.nick, ident: src.ident, hostname: src.host, message: msg.params[0] ?? '' });
    }
  }

  private onNick(msg: IrcMessage): void {
    const oldNick = prefixNick(msg.prefix);
    const newNick = own(msg.params[0] ?? '');
    if (!newNick) return;
    const cm = this.isupport.casemapping;
    const isOwnNick = cm.equal(oldNick, this.nick);
    const ko = cm.lower(oldNick);
    const kn = cm.lower(newNick);
    if (this.channels) {
      for (const ch of this.channels.values()) {
        const cur = ch.names.get(ko);
        if (cur !== undefined) {
          ch.names.delete(ko);
          ch.names.set(kn, cur.slice(0, cur.length - oldNick.length) + newNick);
        }
      }
    }
    if (isOwnNick) {
      this.nick = newNick;
      for (const d of this.clients) d.nick = newNick;
    }
    this.modules?.nickChange({ oldNick, newNick, own: isOwnNick });
  }

  private onNames(msg: IrcMessage): void {
    const ch = this.channel(msg.params[2]);
    if (!ch) return;
    if (!ch.namesPending) {
      ch.names.clear();
      ch.namesPending = true;
    }
    const symbols = this.isupport.prefixSymbols;
    const cm = this.isupport.casemapping;
    for (const entry of (msg.params[3] ?? '').split(' ')) {
      if (!entry) continue;
      let i = 0;
      while (i < entry.length && symbols.includes(entry[i]!)) i++;
      let nick = entry.slice(i);
      const bang = nick.indexOf('!'); // userhost-in-names
      if (bang >= 0) nick = nick.slice(0, bang);
      ch.names.set(cm.lower(nick), own(entry.slice(0, i) + nick));
    }
  }

  private onMode(msg: IrcMessage): void {
    const ch = this.channel(msg.params[0]);
    if (!ch) return;
    const is = this.isupport;
    const modes = msg.params[1] ?? '';
    let arg = 2;
    let adding = true;
    for (const m of modes) {
      if (m === '+' || m === '-') {
        adding = m === '+';
        continue;
      }
      if (!is.modeHasParam(m, adding)) continue;
      const param = msg.params[arg++];
      const idx = is.prefixModes.indexOf(m);
      if (idx < 0 || !param) continue;
      const k = is.casemapping.lower(param);
      const cur = ch.names.get(k);
      if (cur === undefined) continue;
      let i = 0;
      while (i < cur.length && is.prefixSymbols.includes(cur[i]!)) i++;
      let syms = cur.slice(0, i);
      const nick = cur.slice(i);
      const sym = is.prefixSymbols[idx]!;
      if (adding && !syms.includes(sym)) syms += sym;
      if (!adding) syms = syms.replace(sym, '');
      // Keep the symbols in rank order.
      syms = [...syms].sort((a, b) => is.prefixSymbols.indexOf(a) - is.prefixSymbols.indexOf(b)).join('');
      ch.names.set(k, syms + nick);
    }
  }

  /** PRIVMSG / NOTICE from the network: module hooks, then clients or playback. */
  private onMessage(line: string, msg: IrcMessage, now: number): void {
    const mods = this.modules;
    if (mods !== null && mods.hasIncoming) {
      const ev = this.messageEvent(msg, now, false);
      const before = ev.text;
      if (mods.incoming(ev) !== 'continue') return;
      if (ev.text !== before) {
        const text = ev.kind === 'action' ? `\x01ACTION ${ev.text}\x01` : ev.text;
        const body = messageLine(msg.prefix, msg.command, msg.params[0] ?? '', text);
        line = msg.tags ? '@' + msg.tags + ' ' + body : body;
        msg = parseLine(line)!;
      }
    }
    const clients = this.clients;
    const n = clients.length;
    if (n === 0) {
      this.toPlayback(line.slice(msg.bodyStart), msg, now);
      return;
    }
    for (let i = 0; i < n; i++) clients[i]!.relay(line, msg, now);
  }

  private toPlayback(body: string, msg: IrcMessage, now: number): void {
    // Server notices before registration of a target, and CTCP requests other than ACTION, are not kept.
    const text = msg.params[1] ?? '';
    if (text.charCodeAt(0) === 1 && !text.startsWith('\x01ACTION')) return;
    if (!msg.prefix.includes('!')) return;
    const t = rawTag(msg.tags, 'time');
    const time = t ? Date.parse(t) || now : now;
    if (!this.playback) this.playback = new Playback(this.cfg.playbackLines);
    this.playback.push(time, body);
    this.logger.debug({ user: this.user.name, network: this.name, lines: this.playback.size }, 'kept for playback');
  }

  messageEvent(msg: IrcMessage, now: number, outgoing: boolean): MessageEvent {
    const target = msg.params[0] ?? '';
    let text = msg.params[1] ?? '';
    let kind: MessageEvent['kind'] = msg.command === 'NOTICE' ? 'notice' : 'privmsg';
    if (kind === 'privmsg') {
      const a = actionText(text);
      if (a !== undefined) {
        kind = 'action';
        text = a;
      }
    }
    const src = outgoing ? { nick: this.nick, ident: this.ident, host: this.host } : parsePrefix(msg.prefix);
    return {
      kind,
      target,
      nick: src.nick,
      ident: src.ident,
      hostname: src.host,
      text,
      tags: msg.tags ? decodeTags(msg.tags) : {},
      time: now,
      isChannel: this.isupport.isChannel(target),
    };
  }

  // ---- client side -----------------------------------------------------------------------------

  attach(d: Downstream): void {
    this.clients = [...this.clients, d];
    d.nick = this.nick;
    d.sendWelcome(this);
    this.sendChannels(d);
    this.sendPlayback(d);
    this.modules?.attach();
  }

  detach(d: Downstream): void {
    const before = this.clients.length;
    const rest = this.clients.filter((c) => c !== d);
    this.clients = rest.length === 0 ? NO_CLIENTS : rest;
    if (this.clients.length !== before) this.modules?.detach();
  }

  private sendChannels(d: Downstream): void {
    if (!this.channels) return;
    const srv = this.clientServerName;
    for (const ch of this.channels.values()) {
      d.write(`:${this.prefix} JOIN ${ch.name}`);
      if (ch.topic) {
        d.write(buildLine(srv, '332', [this.nick, ch.name, ch.topic]));
        if (ch.topicWho) d.write(buildLine(srv, '333', [this.nick, ch.name, ch.topicWho, ch.topicTime]));
      }
      let names = '';
      for (const n of ch.names.values()) {
        if (names.length + n.length > 400) {
          d.write(`:${srv} 353 ${this.nick} = ${ch.name} :${names}`);
          names = '';
        }
        names = names ? names + ' ' + n : n;
      }
      if (names) d.write(`:${srv} 353 ${this.nick} = ${ch.name} :${names}`);
      d.write(`:${srv} 366 ${this.nick} ${ch.name} :End of /NAMES list.`);
    }
  }

  private sendPlayback(d: Downstream): void {
    const entries = this.playback?.drain() ?? [];
    this.playback = null;
    const replies = this.pendingReplies ?? [];
    this.pendingReplies = null;
    if (entries.length === 0 && replies.length === 0) return;
    // One sequence in time order (sort is stable: equal times keep their order).
    d.playback(replies.length ? [...entries, ...replies].sort((a, b) => a.time - b.time) : entries, this);
  }

  /** A line from a client of this network (registered). Returns nothing; errors go back to the client. */
  fromClient(d: Downstream, line: string, msg: IrcMessage, now: number): void {
    const cmd = msg.command;
    if ((cmd === 'PRIVMSG' || cmd === 'NOTICE') && msg.params.length >= 2) {
      const target = msg.params[0]!;
      if (target.charCodeAt(0) === 42 /* * */ && target.indexOf(',') < 0) {
        if (cmd === 'PRIVMSG') this.user.bouncer.virtualMessage(d, this, target, msg.params[1]!);
        return;
      }
      if (!this.upstream.ready) {
        d.status(`You are not connected to ${this.name}; the message was not sent.`);
        return;
      }
      const mods = this.modules;
      if (mods !== null && mods.hasOutgoing) {
        // Hooks see one target each: `PRIVMSG a,b :x` is two messages.
        const targets = target.indexOf(',') < 0 ? [target] : target.split(',').filter(Boolean);
        for (const t of targets) {
          if (t.charCodeAt(0) === 42 /* * */) {
            if (cmd === 'PRIVMSG') this.user.bouncer.virtualMessage(d, this, t, msg.params[1]!);
            continue;
          }
          const one = targets.length === 1 ? msg : { ...msg, params: [t, msg.params[1]!] };
          const ev = this.messageEvent(one, now, true);
          const before = ev.text;
          const r = mods.outgoing(ev);
          if (r === 'halt') continue;
          let text = msg.params[1]!;
          if (ev.text !== before) text = ev.kind === 'action' ? `\x01ACTION ${ev.text}\x01` : ev.text;
          if (r === 'continue') {
            // Only a module may take a message longer than one IRC line (it splits it); never send one as is.
            const out = messageLine('', cmd, t, text);
            if (overIrcBody(out)) {
              d.tooLong();
              continue;
            }
            this.upstream.send(out);
          }
          this.echo(d, cmd, t, text, now);
        }
        return;
      }
      this.upstream.send(msg.bodyStart === 0 ? line : line.slice(msg.bodyStart));
      this.echo(d, cmd, target, msg.params[1]!, now);
      return;
    }
    if (!this.upstream.ready) {
      if (cmd !== 'QUIT') d.status(`You are not connected to ${this.name}; the line was not sent.`);
      return;
    }
    this.upstream.send(msg.bodyStart === 0 ? line : line.slice(msg.bodyStart));
  }

  private sendMessageLine(cmd: string, target: string, text: string): void {
    this.upstream.send(messageLine('', cmd, target, text));
  }

  /** Show a message sent by client `from` to the user's other clients (and to itself with echo-message). */
  private echo(from: Downstream | null, cmd: string, target: string, text: string, now: number): void {
    const clients = this.clients;
    if (clients.length === 1 && from !== null && !from.echoMessage) return;
    let line: string | undefined;
    for (const c of clients) {
      if (c === from && !c.echoMessage) continue;
      line ??= messageLine(this.prefix, cmd, target, text);
      c.writeTimed(line, now);
    }
  }

  // ---- module host services ------------------------------------------------------------------

  // A module's text may hold line breaks (a decrypted message can): each line becomes a message of its
  // own, and nothing a module passes can add a protocol line. A malformed target or prefix is a module
  // bug: the message is dropped with a log line.

  sendFromModule(kind: 'privmsg' | 'notice' | 'action', target: string, text: string): void {
    if (!isLineToken(target)) return this.moduleLineDropped('target', target);
    const cmd = kind === 'notice' ? 'NOTICE' : 'PRIVMSG';
    for (const line of textLines(text)) this.sendMessageLine(cmd, target, kind === 'action' ? `\x01ACTION ${line}\x01` : line);
  }

  deliverFromModule(m: ClientMessage): void {
    const now = m.time ?? Date.now();
    const cmd = m.kind === 'notice' ? 'NOTICE' : 'PRIVMSG';
    const withHost = Boolean(m.ident || m.hostname);
    const bad = !isLineToken(m.nick) ? 'nick' : !isLineToken(m.target) ? 'target'
      : withHost && !isLineToken(m.ident) ? 'ident' : withHost && !isLineToken(m.hostname) ? 'hostname' : undefined;
    if (bad) return this.moduleLineDropped(bad, m[bad]);
    const prefix = withHost ? `${m.nick}!${m.ident}@${m.hostname}` : m.nick;
    for (const line of textLines(m.text)) {
      const body = messageLine(prefix, cmd, m.target, m.kind === 'action' ? `\x01ACTION ${line}\x01` : line);
      if (this.clients.length === 0) {
        if (!this.playback) this.playback = new Playback(this.cfg.playbackLines);
        this.playback.push(now, body);
        continue;
      }
      const msg = parseLine(body)!;
      for (const c of this.clients) c.relay(body, msg, now);
    }
  }

  private moduleLineDropped(what: string, value: string): void {
    this.logger.warn({ user: this.user.name, network: this.name, [what]: JSON.stringify(value).slice(0, 80) }, `module message dropped: invalid ${what}`);
  }

  /** A line from a virtual nick to the user: to the attached clients, or kept until one attaches. */
  virtualReply(from: string, text: string): void {
    const lines = textLines(text);
    if (lines.length !== 1) {
      for (const l of lines) this.virtualReply(from, l);
      return;
    }
    const make = (nick: string) => messageLine(`${from}!${from.slice(1)}@otrbnc`, 'PRIVMSG', nick, lines[0]!);
    if (this.clients.length === 0) {
      if (!this.pendingReplies) this.pendingReplies = [];
      if (this.pendingReplies.length < 1000) this.pendingReplies.push({ time: Date.now(), line: make(this.nick) });
      return;
    }
    for (const c of this.clients) c.writeTimed(make(c.nick), Date.now());
  }

  statusToClients(text: string): void {
    for (const c of this.clients) c.status(text);
  }

  /** Disconnect for good (delnetwork, shutdown): module shutdown hooks first, then QUIT. */
  async shutdown(quitMessage: string): Promise<void> {
    if (this.modules) await this.modules.shutdown();
    await this.upstream.quit(quitMessage);
    if (this.modules) await this.modules.unloadAll();
  }

}
