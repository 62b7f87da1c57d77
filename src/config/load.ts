// Reads and validates the YAML config. Every problem is reported with file, line, column and key path,
// and what was expected; unknown keys get a "did you mean". Omitted keys get their defaults.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Document, type Node, type YAMLMap, type Pair } from 'yaml';
import type { Config, ListenConfig, NetworkConfig, UserConfig, FloodConfig, SaslConfig } from './types.ts';
import {
  DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT, DEFAULT_DATA_DIR, DEFAULT_LOG_LEVEL, DEFAULT_NETWORK_TLS,
  DEFAULT_TLS_PORT, DEFAULT_PLAIN_PORT, DEFAULT_FLOOD, DEFAULT_PLAYBACK_LINES, LOG_LEVELS,
} from './defaults.ts';
import { NAME_RE, NAME_RULE, MODULE_NAME_RE } from './names.ts';
import { suggest } from './suggest.ts';
import { isMalformedHash } from '../auth/password.ts';

export const TOP_KEYS = ['listen', 'data_dir', 'log_level', 'users'] as const;
export const LISTEN_KEYS = ['host', 'port', 'tls', 'cert', 'key'] as const;
export const USER_KEYS = ['password', 'networks'] as const;
export const NETWORK_KEYS = [
  'host', 'port', 'tls', 'tls_verify', 'nick', 'alt_nick', 'username', 'realname', 'server_password',
  'sasl', 'channels', 'modules', 'flood', 'playback_lines',
] as const;
export const SASL_KEYS = ['account', 'password'] as const;
export const FLOOD_KEYS = ['rate', 'burst'] as const;

const NICK_RE = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

export interface ConfigIssue {
  /** 1-based; absent when the problem has no place in the file (e.g. a missing file). */
  line?: number;
  col?: number;
  /** Dotted key path, e.g. `users.alice.networks.libera.port`. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly issues: ConfigIssue[]) {
    super(formatIssues(file, [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))));
    this.name = 'ConfigError';
  }
}

export function formatIssues(file: string, issues: ConfigIssue[]): string {
  const head = issues.length === 1 ? `error in config file ${file}:` : `${issues.length} errors in config file ${file}:`;
  return [head, ...issues.map((i) => {
    const where = i.line !== undefined ? `${file}:${i.line}:${i.col ?? 1}` : file;
    return `  ${where}: ${i.key ? `${i.key}: ` : ''}${i.message}`;
  })].join('\n');
}

export interface LoadedConfig {
  config: Config;
  /** The parsed document (callers that keep running should not hold on to it: it is several KB per network). */
  doc: Document;
  text: string;
}

export interface ParseOptions {
  /** The file name used in messages and stored as config.file (resolved to absolute). */
  file: string;
  /** Base for relative paths (data_dir, cert, key). Default: the file's directory. */
  baseDir?: string;
  /** Replaces data_dir (the --data-dir flag, or the data dir a data-dir config was found in). */
  dataDirOverride?: string;
}

class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly lc: LineCounter) {}

  add(node: Node | null | undefined, key: string, message: string): void {
    const off = node?.range?.[0];
    if (off === undefined) {
      this.issues.push({ key, message });
      return;
    }
    const { line, col } = this.lc.linePos(off);
    this.issues.push({ line, col, key, message });
  }

  /** A mapping's pairs as key → pair, reporting non-scalar and unknown keys. */
  fields(map: YAMLMap, path: string, allowed: readonly string[]): Map<string, Pair<Node, Node | null>> {
    const out = new Map<string, Pair<Node, Node | null>>();
    for (const pair of map.items as Pair<Node, Node | null>[]) {
      const k = pair.key;
      if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
        this.add(k, path, 'expected a plain key name');
        continue;
      }
      const name = String(k.value);
      if (!allowed.includes(name)) {
        const near = suggest(name, allowed);
        this.add(k, join(path, name), `unknown key${near ? ` (did you mean "${near}"?)` : ''}; allowed here: ${allowed.join(', ')}`);
        continue;
      }
      out.set(name, pair);
    }
    return out;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `${v}`;
    return String(v);
  }
  return 'an alias or tag';
}

/** The value node of a pair, or undefined when the key is absent; a bare `key:` is a null scalar. */
function valueOf(fields: Map<string, Pair<Node, Node | null>>, key: string): { node: Node | null; keyNode: Node } | undefined {
  const p = fields.get(key);
  if (!p) return undefined;
  return { node: p.value, keyNode: p.key };
}

function scalarValue(node: Node | null): unknown {
  if (node === null) return null;
  return isScalar(node) ? node.value : undefined;
}

type Field = { node: Node | null; keyNode: Node } | undefined;

function str(ck: Checker, f: Field, path: string, what: string, opts: { re?: RegExp; rule?: string } = {}): string | undefined {
  if (!f) return undefined;
  const v = scalarValue(f.node);
  const at = f.node ?? f.keyNode;
  if (typeof v !== 'string' && typeof v !== 'number') {
    ck.add(at, path, `expected ${what}, got ${describe(f.node)}`);
    return undefined;
  }
  // A number where text is expected (`password: 0x1F`, `channels: [007]`) keeps the text as written.
  const src = isScalar(f.node) ? (f.node as { source?: unknown }).source : undefined;
  const s = typeof v === 'number' && typeof src === 'string' ? src : String(v);
  if (s === '') {
    ck.add(at, path, `expected ${what}, got an empty string`);
    return undefined;
  }
  if (opts.re && !opts.re.test(s)) {
    ck.add(at, path, `expected ${what}${opts.rule ? ` (${opts.rule})` : ''}, got ${describe(f.node)}`);
    return undefined;
  }
  return s;
}

function nullableStr(ck: Checker, f: Field, path: string, what: string): string | null | undefined {
  if (!f) return undefined;
  if (scalarValue(f.node) === null) return null;
  return str(ck, f, path, `${what} or null`);
}

function int(ck: Checker, f: Field, path: string, min: number, max: number, what: string): number | undefined {
  if (!f) return undefined;
  const v = scalarValue(f.node);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    ck.add(f.node ?? f.keyNode, path, `expected ${what} (an integer from ${min} to ${max}), got ${describe(f.node)}`);
    return undefined;
  }
  return v;
}

function num(ck: Checker, f: Field, path: string, min: number, what: string): number | undefined {
  if (!f) return undefined;
  const v = scalarValue(f.node);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    ck.add(f.node ?? f.keyNode, path, `expected ${what} (a number ≥ ${min}), got ${describe(f.node)}`);
    return undefined;
  }
  return v;
}

function bool(ck: Checker, f: Field, path: string): boolean | undefined {
  if (!f) return undefined;
  const v = scalarValue(f.node);
  if (typeof v !== 'boolean') {
    ck.add(f.node ?? f.keyNode, path, `expected true or false, got ${describe(f.node)}`);
    return undefined;
  }
  return v;
}

function map(ck: Checker, f: Field, path: string, what: string, allowNull = true): YAMLMap | null | undefined {
  if (!f) return undefined;
  if (allowNull && scalarValue(f.node) === null) return null;
  if (!isMap(f.node)) {
    ck.add(f.node ?? f.keyNode, path, `expected ${what}, got ${describe(f.node)}`);
    return undefined;
  }
  return f.node;
}

function strList(ck: Checker, f: Field, path: string, what: string, re: RegExp, rule: string): string[] | undefined {
  if (!f) return undefined;
  if (scalarValue(f.node) === null) return [];
  if (!isSeq(f.node)) {
    ck.add(f.node ?? f.keyNode, path, `expected a list of ${what} (e.g. [a, b]), got ${describe(f.node)}`);
    return undefined;
  }
  const out: string[] = [];
  f.node.items.forEach((item, i) => {
    const s = str(ck, { node: item as Node, keyNode: f.node! }, `${path}[${i}]`, what, { re, rule });
    if (s !== undefined) out.push(s);
  });
  return out;
}

function required(ck: Checker, fields: Map<string, Pair<Node, Node | null>>, mapNode: Node, path: string, key: string, what: string): void {
  if (!fields.has(key)) ck.add(mapNode, join(path, key), `missing; expected ${what}`);
}

function resolvePath(base: string, p: string): string {
  return resolve(base, p);
}

function checkListen(ck: Checker, node: Node | null, path: string, base: string): ListenConfig | undefined {
  if (!isMap(node)) {
    ck.add(node, path, `expected a mapping like { host: 127.0.0.1, port: 6697, tls: false }, got ${describe(node)}`);
    return undefined;
  }
  const fs = ck.fields(node, path, LISTEN_KEYS);
  required(ck, fs, node, path, 'port', 'a port number');
  const host = str(ck, valueOf(fs, 'host'), join(path, 'host'), 'an address to listen on', { re: /^\S+$/, rule: 'no spaces' }) ?? DEFAULT_LISTEN_HOST;
  const port = int(ck, valueOf(fs, 'port'), join(path, 'port'), 0, 65535, 'a port number');
  const tls = bool(ck, valueOf(fs, 'tls'), join(path, 'tls')) ?? false;
  const cert = str(ck, valueOf(fs, 'cert'), join(path, 'cert'), 'the path of a PEM certificate file');
  const key = str(ck, valueOf(fs, 'key'), join(path, 'key'), 'the path of a PEM private key file');
  if (tls) {
    if (!fs.has('cert')) ck.add(node, join(path, 'cert'), 'missing; tls: true needs cert (a PEM certificate file)');
    if (!fs.has('key')) ck.add(node, join(path, 'key'), 'missing; tls: true needs key (a PEM private key file)');
  }
  // A missing certificate is reported here, at its line, rather than as a bare ENOENT at listen time.
  for (const [k, v] of [['cert', cert], ['key', key]] as const) {
    if (tls && v !== undefined && !existsSync(resolvePath(base, v))) {
      ck.add(valueOf(fs, k)!.node, join(path, k), `no such file: ${resolvePath(base, v)}`);
    }
  }
  if (port === undefined) return undefined;
  const l: ListenConfig = { host, port, tls };
  if (cert !== undefined) l.cert = resolvePath(base, cert);
  if (key !== undefined) l.key = resolvePath(base, key);
  return l;
}

function checkNetwork(ck: Checker, name: string, nameNode: Node, node: Node | null, path: string, userName: string): NetworkConfig | undefined {
  if (!NAME_RE.test(name)) ck.add(nameNode, path, `invalid network name: use ${NAME_RULE}`);
  if (!isMap(node)) {
    ck.add(node ?? nameNode, path, `expected a mapping with at least host: (the network's settings), got ${describe(node)}`);
    return undefined;
  }
  const fs = ck.fields(node, path, NETWORK_KEYS);
  const p = (k: string) => join(path, k);
  required(ck, fs, node, path, 'host', 'the IRC server\'s host name');
  const host = str(ck, valueOf(fs, 'host'), p('host'), 'a host name', { re: /^[^\s/]+$/, rule: 'no spaces or slashes' });
  const tls = bool(ck, valueOf(fs, 'tls'), p('tls')) ?? DEFAULT_NETWORK_TLS;
  const port = int(ck, valueOf(fs, 'port'), p('port'), 1, 65535, 'a port number') ?? (tls ? DEFAULT_TLS_PORT : DEFAULT_PLAIN_PORT);
  const tlsVerify = bool(ck, valueOf(fs, 'tls_verify'), p('tls_verify')) ?? true;
  const nickRule = 'an IRC nick: a letter or one of []\\`_^{|} first, then also digits and "-"';
  const nick = str(ck, valueOf(fs, 'nick'), p('nick'), 'a nick', { re: NICK_RE, rule: nickRule })
    ?? (NICK_RE.test(userName) ? userName : 'otrbnc');
  const altNick = str(ck, valueOf(fs, 'alt_nick'), p('alt_nick'), 'a nick', { re: NICK_RE, rule: nickRule }) ?? `${nick}_`;
  const username = str(ck, valueOf(fs, 'username'), p('username'), 'a user name (ident)', { re: /^[^\s@]+$/, rule: 'no spaces or @' }) ?? nick;
  const realname = str(ck, valueOf(fs, 'realname'), p('realname'), 'a real name') ?? nick;
  const serverPassword = nullableStr(ck, valueOf(fs, 'server_password'), p('server_password'), 'a server password') ?? null;
  let sasl: SaslConfig | null = null;
  const saslMap = map(ck, valueOf(fs, 'sasl'), p('sasl'), 'a mapping { account: …, password: … } or null');
  if (saslMap) {
    const sp = p('sasl');
    const sf = ck.fields(saslMap, sp, SASL_KEYS);
    required(ck, sf, saslMap, sp, 'account', 'the SASL account name');
    required(ck, sf, saslMap, sp, 'password', 'the SASL password');
    const account = str(ck, valueOf(sf, 'account'), join(sp, 'account'), 'an account name');
    const password = str(ck, valueOf(sf, 'password'), join(sp, 'password'), 'a password');
    if (account !== undefined && password !== undefined) sasl = { account, password };
  }
  const channels = strList(ck, valueOf(fs, 'channels'), p('channels'), 'channel names', /^[^\s,\x00-\x1f]+$/,
    'no spaces, commas or control characters') ?? [];
  const modules = strList(ck, valueOf(fs, 'modules'), p('modules'), 'module names', MODULE_NAME_RE,
    'lower-case letters, digits, "_" and "-"') ?? [];
  const flood: FloodConfig = { ...DEFAULT_FLOOD };
  const floodMap = map(ck, valueOf(fs, 'flood'), p('flood'), 'a mapping { rate: 2, burst: 5 }');
  if (floodMap) {
    const fp = p('flood');
    const ff = ck.fields(floodMap, fp, FLOOD_KEYS);
    flood.rate = num(ck, valueOf(ff, 'rate'), join(fp, 'rate'), 0, 'lines per second, 0 for no limit') ?? flood.rate;
    flood.burst = int(ck, valueOf(ff, 'burst'), join(fp, 'burst'), 1, 100_000, 'a burst size in lines') ?? flood.burst;
  }
  const playbackLines = int(ck, valueOf(fs, 'playback_lines'), p('playback_lines'), 0, 1_000_000, 'a playback buffer size in lines')
    ?? DEFAULT_PLAYBACK_LINES;
  if (host === undefined) return undefined;
  return {
    name, host, port, tls, tlsVerify, nick, altNick, username, realname, serverPassword, sasl,
    channels, modules, flood, playbackLines,
  };
}

function checkUser(ck: Checker, name: string, nameNode: Node, node: Node | null, path: string): UserConfig | undefined {
  if (!NAME_RE.test(name)) ck.add(nameNode, path, `invalid user name: use ${NAME_RULE}`);
  if (!isMap(node)) {
    ck.add(node ?? nameNode, path, `expected a mapping with password: and networks:, got ${describe(node)}`);
    return undefined;
  }
  const fs = ck.fields(node, path, USER_KEYS);
  required(ck, fs, node, path, 'password', 'a password (the output of "otrbnc hash-password", or plain text)');
  const password = str(ck, valueOf(fs, 'password'), join(path, 'password'), 'a password (the output of "otrbnc hash-password", or plain text)');
  if (password !== undefined && isMalformedHash(password)) {
    ck.add(valueOf(fs, 'password')!.node, join(path, 'password'),
      'expected scrypt$N$r$p$salt$hash as printed by "otrbnc hash-password" (N a power of two, base64 salt and hash), got a malformed scrypt string');
  }
  const networks: NetworkConfig[] = [];
  const netsPath = join(path, 'networks');
  const nets = map(ck, valueOf(fs, 'networks'), netsPath, 'a mapping of network names to their settings');
  if (nets) {
    for (const pair of nets.items as Pair<Node, Node | null>[]) {
      if (!isScalar(pair.key)) { ck.add(pair.key, netsPath, 'expected a network name'); continue; }
      const netName = String(pair.key.value);
      const n = checkNetwork(ck, netName, pair.key, pair.value, join(netsPath, netName), name);
      if (n) networks.push(n);
    }
  }
  if (password === undefined) return undefined;
  return { name, password, networks };
}

/** Validates a parsed document; throws ConfigError listing every problem. */
export function configFromDocument(doc: Document, lc: LineCounter, opts: ParseOptions): Config {
  const file = resolve(opts.file);
  const base = opts.baseDir ?? dirname(file);
  const ck = new Checker(lc);
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    ck.issues.push({ line: pos?.line, col: pos?.col, key: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') });
  }
  if (ck.issues.length > 0) throw new ConfigError(opts.file, ck.issues);

  const config: Config = {
    file,
    listen: [{ host: DEFAULT_LISTEN_HOST, port: DEFAULT_LISTEN_PORT, tls: false }],
    dataDir: resolve(base, DEFAULT_DATA_DIR),
    logLevel: DEFAULT_LOG_LEVEL,
    users: [],
  };
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    // An empty file: all defaults.
  } else if (!isMap(root)) {
    ck.add(root, '', `expected a mapping at the top (listen:, data_dir:, log_level:, users:), got ${describe(root)}`);
  } else {
    const fs = ck.fields(root, '', TOP_KEYS);
    const listenF = valueOf(fs, 'listen');
    if (listenF) {
      const seq = listenF.node;
      if (isSeq(seq)) {
        const ls: ListenConfig[] = [];
        seq.items.forEach((item, i) => {
          const l = checkListen(ck, item as Node, `listen[${i}]`, base);
          if (l) ls.push(l);
        });
        if (seq.items.length === 0) ck.add(seq, 'listen', 'expected at least one listener');
        const seen = new Set<string>();
        ls.forEach((l, i) => {
          const id = `${l.host}:${l.port}`;
          if (l.port !== 0 && seen.has(id)) ck.add(seq.items[i] as Node, `listen[${i}]`, `${id} is listed twice`);
          seen.add(id);
        });
        config.listen = ls;
      } else {
        ck.add(listenF.node ?? listenF.keyNode, 'listen', `expected a list of listeners, e.g. - { host: 127.0.0.1, port: 6697, tls: false }, got ${describe(listenF.node)}`);
      }
    }
    const dd = str(ck, valueOf(fs, 'data_dir'), 'data_dir', 'a directory path');
    if (dd !== undefined) config.dataDir = resolve(base, dd);
    const ll = valueOf(fs, 'log_level');
    if (ll) {
      const v = scalarValue(ll.node);
      if (typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v)) config.logLevel = v as Config['logLevel'];
      else ck.add(ll.node ?? ll.keyNode, 'log_level', `expected one of ${LOG_LEVELS.join(', ')}, got ${describe(ll.node)}`);
    }
    const users = map(ck, valueOf(fs, 'users'), 'users', 'a mapping of user names to their settings');
    if (users) {
      for (const pair of users.items as Pair<Node, Node | null>[]) {
        if (!isScalar(pair.key)) { ck.add(pair.key, 'users', 'expected a user name'); continue; }
        const name = String(pair.key.value);
        const u = checkUser(ck, name, pair.key, pair.value, `users.${name}`);
        if (u) config.users.push(u);
      }
    }
  }
  if (opts.dataDirOverride !== undefined) config.dataDir = resolve(opts.dataDirOverride);
  if (ck.issues.length > 0) throw new ConfigError(opts.file, ck.issues);
  return config;
}

export function parseConfigText(text: string, opts: ParseOptions): LoadedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  return { config: configFromDocument(doc, lc, opts), doc, text };
}

/** Reads and validates a config file; a missing or unreadable file is a ConfigError too. */
export function loadConfigFile(file: string, opts: Omit<ParseOptions, 'file'> = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError(file, [{ key: '', message: `cannot read the config file: ${why}` }]);
  }
  return parseConfigText(text, { ...opts, file });
}
