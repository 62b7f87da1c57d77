// IRC line codec: one parse per line, no regular expressions on the hot path.
// Tags stay a raw string until someone asks for them (most lines are relayed with tags untouched or dropped).

export interface IrcMessage {
  /** Raw tag string without the leading '@' ('' when the line has none). */
  tags: string;
  /** Prefix without ':' ('' when absent). */
  prefix: string;
  /** Upper-cased command or numeric. */
  command: string;
  params: string[];
  /** Offset in the line where the part after the tags starts (0 when there are no tags). */
  bodyStart: number;
}

/** Parse one line (without CR/LF). Returns null for an empty or malformed line. */
export function parseLine(line: string): IrcMessage | null {
  const len = line.length;
  let pos = 0;
  let tags = '';
  let bodyStart = 0;
  if (line.charCodeAt(0) === 64 /* @ */) {
    const sp = line.indexOf(' ');
    if (sp < 0) return null;
    tags = line.slice(1, sp);
    pos = sp + 1;
    while (line.charCodeAt(pos) === 32) pos++;
    bodyStart = pos;
  }
  let prefix = '';
  if (line.charCodeAt(pos) === 58 /* : */) {
    const sp = line.indexOf(' ', pos);
    if (sp < 0) return null;
    prefix = line.slice(pos + 1, sp);
    pos = sp + 1;
    while (line.charCodeAt(pos) === 32) pos++;
  }
  if (pos >= len) return null;
  let sp = line.indexOf(' ', pos);
  if (sp < 0) sp = len;
  let command = line.slice(pos, sp);
  if (!isUpper(command)) command = command.toUpperCase();
  pos = sp;
  const params: string[] = [];
  while (pos < len) {
    while (line.charCodeAt(pos) === 32) pos++;
    if (pos >= len) break;
    if (line.charCodeAt(pos) === 58) {
      params.push(line.slice(pos + 1));
      break;
    }
    sp = line.indexOf(' ', pos);
    if (sp < 0) sp = len;
    params.push(line.slice(pos, sp));
    pos = sp;
  }
  return { tags, prefix, command, params, bodyStart };
}

function isUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return false;
  }
  return true;
}

export interface Source {
  nick: string;
  ident: string;
  host: string;
}

export function parsePrefix(prefix: string): Source {
  const bang = prefix.indexOf('!');
  const at = prefix.indexOf('@', bang < 0 ? 0 : bang);
  if (bang < 0 && at < 0) return { nick: prefix, ident: '', host: '' };
  if (bang < 0) return { nick: prefix.slice(0, at), ident: '', host: prefix.slice(at + 1) };
  if (at < 0) return { nick: prefix.slice(0, bang), ident: prefix.slice(bang + 1), host: '' };
  return { nick: prefix.slice(0, bang), ident: prefix.slice(bang + 1, at), host: prefix.slice(at + 1) };
}

/** The nick part of a prefix without allocating a Source. */
export function prefixNick(prefix: string): string {
  const bang = prefix.indexOf('!');
  if (bang >= 0) return prefix.slice(0, bang);
  const at = prefix.indexOf('@');
  return at >= 0 ? prefix.slice(0, at) : prefix;
}

/** Build a line; the last parameter becomes trailing when it needs to. */
export function buildLine(prefix: string, command: string, params: readonly string[]): string {
  let out = prefix ? ':' + prefix + ' ' + command : command;
  const n = params.length;
  for (let i = 0; i < n; i++) {
    const p = params[i]!;
    if (i === n - 1 && (p === '' || p.charCodeAt(0) === 58 || p.indexOf(' ') >= 0)) out += ' :' + p;
    else out += ' ' + p;
  }
  return out;
}

/** `:prefix CMD target :text`, the text always trailing (what clients expect of PRIVMSG/NOTICE). */
/** CR, LF and NUL: never inside an IRC line. */
const NOT_IN_LINE = /[\r\n\0]/;

/**
 * The lines a text becomes as IRC message text: split at each line break (CR, LF or CRLF, since none
 * may be inside a line), NUL shown as U+FFFD, empty lines dropped. Text from outside the protocol (a
 * decrypted OTR message, a module's output) goes through this, so it can never add lines of its own.
 */
export function textLines(text: string): string[] {
  if (!NOT_IN_LINE.test(text)) return [text];
  return text.replace(/\0/g, '\ufffd').split(/\r\n|\r|\n/).filter((l) => l !== '');
}

/** A target, nick, ident or host that fits in a line as one middle parameter (or prefix part). */
export function isLineToken(s: string): boolean {
  return typeof s === 'string' && s.length > 0 && s[0] !== ':' && !/[\s\0]/.test(s);
}

export function messageLine(prefix: string, command: string, target: string, text: string): string {
  return prefix ? ':' + prefix + ' ' + command + ' ' + target + ' :' + text : command + ' ' + target + ' :' + text;
}

const TAG_UNESCAPE: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

export function decodeTags(raw: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!raw) return out;
  for (const part of raw.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? '' : part.slice(eq + 1);
    out[key] = val.indexOf('\\') < 0 ? val : val.replace(/\\(.?)/g, (_m, c: string) => (c in TAG_UNESCAPE ? TAG_UNESCAPE[c]! : c));
  }
  return out;
}

export function encodeTags(tags: Record<string, string>): string {
  let out = '';
  for (const k in tags) {
    const v = tags[k]!;
    if (out) out += ';';
    out += v === '' ? k : k + '=' + v.replace(/[\\; \r\n]/g, (c) => (c === '\\' ? '\\\\' : c === ';' ? '\\:' : c === ' ' ? '\\s' : c === '\r' ? '\\r' : '\\n'));
  }
  return out;
}

/** Value of one tag in a raw tag string, without decoding the others. */
export function rawTag(raw: string, key: string): string | undefined {
  if (!raw) return undefined;
  let i = 0;
  while (i < raw.length) {
    let end = raw.indexOf(';', i);
    if (end < 0) end = raw.length;
    if (raw.startsWith(key, i)) {
      const after = i + key.length;
      if (after === end) return '';
      if (raw.charCodeAt(after) === 61) return raw.slice(after + 1, end);
    }
    i = end + 1;
  }
  return undefined;
}

/** ISO 8601 time for server-time, cached per millisecond. */
let lastMs = -1;
let lastIso = '';
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export const CTCP = '\x01';

/** Splits a CTCP ACTION out of a PRIVMSG text; returns the action text or undefined. */
export function actionText(text: string): string | undefined {
  if (text.charCodeAt(0) !== 1 || !text.startsWith('\x01ACTION')) return undefined;
  const c = text.charCodeAt(7);
  if (text.length !== 7 && c !== 32 && c !== 1) return undefined;
  let end = text.length;
  if (text.charCodeAt(end - 1) === 1 && end > 7) end--;
  return text.slice(8, Math.max(8, end));
}

/** The longest line without CRLF that a server takes (RFC 1459: 512 bytes with CRLF), tags aside. */
export const MAX_IRC_BODY = 510;

/** True when s[from..] is longer than MAX_IRC_BODY bytes in UTF-8 (a UTF-16 unit is at most 3 bytes, so short strings skip the count). */
export function overIrcBody(s: string, from = 0): boolean {
  const units = s.length - from;
  return units * 3 > MAX_IRC_BODY && (units > MAX_IRC_BODY || Buffer.byteLength(from === 0 ? s : s.slice(from)) > MAX_IRC_BODY);
}
