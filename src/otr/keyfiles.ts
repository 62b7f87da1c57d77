// libotr's three key files, parsed and written as pure text transforms (key-store.ts does the I/O):
//  - private keys: a libgcrypt S-expression `(privkeys (account (name …) (protocol …) (private-key (dsa
//    (p #…#) (q #…#) (g #…#) (y #…#) (x #…#)))) …)`, several accounts in one file;
//  - fingerprints: `peer\taccount\tprotocol\t<40 lower-case hex>\t<trust>` per line;
//  - instance tags: `account\tprotocol\t<8 hex>` per line, `#` lines are comments.
// Files from irssi-otr, pidgin-otr and ZNC's otr module are in these formats.
import { modPow } from './crypto/modexp.ts';
import type { FingerprintHex, Trust } from './api.ts';
import type { DsaPrivateKey } from './dsa.ts';

export class KeyFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'KeyFileError';
  }
}

export interface PrivateKeyEntry {
  account: string;
  protocol: string;
  key: DsaPrivateKey;
}

export interface FingerprintEntry {
  peer: string;
  account: string;
  protocol: string;
  /** 40 upper-case hex digits. */
  fingerprint: FingerprintHex;
  /** Empty = not trusted. */
  trust: Trust;
}

export interface InstanceTagEntry {
  account: string;
  protocol: string;
  instanceTag: number;
}

// ---------------------------------------------------------------- S-expressions

/** An atom's bytes, or a list. Atoms keep how they were written only as far as the reader cares. */
type Sexp = Uint8Array | Sexp[];

/**
 * Reads libgcrypt's S-expressions from the file's bytes, one char per byte (latin1): libgcrypt writes an
 * MPI whose bytes happen to be printable as a quoted string with raw bytes ≥ 0x80 (e.g. `(x "Y.[!…")`),
 * which a UTF-8 decode of the file would destroy. Text atoms (names) are decoded as UTF-8 from their bytes.
 */
class SexpReader {
  private pos = 0;
  private readonly text: string;

  constructor(bytes: Uint8Array, private readonly file: string) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }

  fail(detail: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    throw new KeyFileError(this.file, `line ${line}, column ${col}: ${detail}`);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b) this.pos++;
      else break;
    }
  }

  /** Reads the whole text as exactly one expression. */
  readTop(): Sexp {
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('the file is empty');
    const e = this.read(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the closing parenthesis');
    return e;
  }

  private read(depth: number): Sexp {
    if (depth > 64) this.fail('nesting too deep');
    this.skipSpace();
    const t = this.text;
    if (this.pos >= t.length) this.fail('unexpected end of file (a parenthesis is not closed)');
    const c = t[this.pos]!;
    if (c === '(') {
      this.pos++;
      const list: Sexp[] = [];
      for (;;) {
        this.skipSpace();
        if (this.pos >= t.length) this.fail('unexpected end of file (a parenthesis is not closed)');
        if (t[this.pos] === ')') {
          this.pos++;
          return list;
        }
        list.push(this.read(depth + 1));
      }
    }
    if (c === ')') this.fail('unexpected ")"');
    if (c === '#') return this.readHex();
    if (c === '"') return this.readQuoted();
    if (c === '|') return this.readBase64();
    if (c >= '0' && c <= '9') {
      // Verbatim `3:abc`, or a token that starts with a digit.
      const m = /^(\d+):/.exec(t.slice(this.pos, this.pos + 12));
      if (m) return this.readVerbatim(Number(m[1]), m[0].length);
    }
    return this.readToken();
  }

  private readHex(): Uint8Array {
    const start = this.pos;
    const end = this.text.indexOf('#', start + 1);
    if (end < 0) this.fail('hex string not closed with "#"', start);
    const digits = this.text.slice(start + 1, end).replace(/\s+/g, '');
    if (!/^[0-9A-Fa-f]*$/.test(digits)) this.fail('invalid character in hex string', start);
    if (digits.length % 2) this.fail('hex string with an odd number of digits', start);
    this.pos = end + 1;
    return Uint8Array.from(Buffer.from(digits, 'hex'));
  }

  private readBase64(): Uint8Array {
    const start = this.pos;
    const end = this.text.indexOf('|', start + 1);
    if (end < 0) this.fail('base64 string not closed with "|"', start);
    const body = this.text.slice(start + 1, end).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) this.fail('invalid base64 string', start);
    this.pos = end + 1;
    return Uint8Array.from(Buffer.from(body, 'base64'));
  }

  private readVerbatim(len: number, prefix: number): Uint8Array {
    const start = this.pos + prefix;
    if (start + len > this.text.length) this.fail('verbatim string runs past the end of the file');
    this.pos = start + len;
    return Uint8Array.from(Buffer.from(this.text.slice(start, start + len), 'latin1'));
  }

  private readQuoted(): Uint8Array {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    const out: number[] = [];
    for (;;) {
      if (i >= t.length) this.fail('quoted string not closed', start);
      const c = t[i]!;
      if (c === '"') break;
      if (c !== '\\') {
        out.push(t.charCodeAt(i)); // a byte (latin1 text)
        i++;
        continue;
      }
      const e = t[i + 1];
      i += 2;
      switch (e) {
        case 'b': out.push(8); break;
        case 't': out.push(9); break;
        case 'v': out.push(11); break;
        case 'n': out.push(10); break;
        case 'f': out.push(12); break;
        case 'r': out.push(13); break;
        case '"': out.push(0x22); break;
        case "'": out.push(0x27); break;
        case '\\': out.push(0x5c); break;
        case '\n': if (t[i] === '\r') i++; break; // line continuation
        case '\r': if (t[i] === '\n') i++; break;
        case 'x': {
          const h = t.slice(i, i + 2);
          if (!/^[0-9A-Fa-f]{2}$/.test(h)) this.fail('bad \\x escape in quoted string', i - 2);
          out.push(parseInt(h, 16));
          i += 2;
          break;
        }
        default: {
          const o = t.slice(i - 1, i + 2);
          if (e !== undefined && /^[0-7]{3}$/.test(o)) {
            out.push(parseInt(o, 8) & 0xff);
            i += 2;
            break;
          }
          this.fail(`bad escape "\\${e ?? ''}" in quoted string`, i - 2);
        }
      }
    }
    this.pos = i + 1;
    return Uint8Array.from(out);
  }

  private readToken(): Uint8Array {
    const start = this.pos;
    const m = /^[A-Za-z0-9\-./_:*+=@!$%&~^?<>[\]{}']+/.exec(this.text.slice(start, start + 4096));
    if (!m) this.fail(`unexpected character ${JSON.stringify(this.text[start])}`);
    this.pos = start + m[0].length;
    return Uint8Array.from(Buffer.from(m[0], 'latin1'));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const atomText = (a: Uint8Array): string => utf8.decode(a);

function isAtom(e: Sexp | undefined): e is Uint8Array {
  return e instanceof Uint8Array;
}

/** The list's head atom as text, or undefined. */
function head(e: Sexp): string | undefined {
  return Array.isArray(e) && isAtom(e[0]) ? atomText(e[0]) : undefined;
}

function unsignedFromTwosComplement(bytes: Uint8Array): bigint {
  // libgcrypt writes MPIs in its standard (two's complement) format: a leading 00 byte keeps a
  // high bit from meaning negative. Key components are never negative.
  let hex = Buffer.from(bytes).toString('hex');
  return hex.length === 0 ? 0n : BigInt('0x' + hex);
}

/** Parses a libotr private key file: its bytes (read it without decoding), or text. `file` names it in errors. */
export function parsePrivateKeys(content: Uint8Array | string, file = 'private key file'): PrivateKeyEntry[] {
  const r = new SexpReader(typeof content === 'string' ? Buffer.from(content, 'utf8') : content, file);
  const top = r.readTop();
  if (!Array.isArray(top) || head(top) !== 'privkeys') {
    throw new KeyFileError(file, 'not a libotr private key file (expected "(privkeys …)")');
  }
  const out: PrivateKeyEntry[] = [];
  for (const [i, acc] of top.slice(1).entries()) {
    const where = `account #${i + 1}`;
    if (!Array.isArray(acc) || head(acc) !== 'account') {
      throw new KeyFileError(file, `${where}: expected "(account …)"`);
    }
    const field = (name: string): Sexp[] | undefined => acc.slice(1).find((e) => head(e) === name) as Sexp[] | undefined;
    const textField = (name: string): string => {
      const f = field(name);
      if (!f || !isAtom(f[1])) throw new KeyFileError(file, `${where}: missing (${name} …)`);
      return atomText(f[1]);
    };
    const account = textField('name');
    const protocol = textField('protocol');
    const label = `account ${JSON.stringify(account)} (${protocol})`;
    const pk = field('private-key');
    if (!pk) throw new KeyFileError(file, `${label}: missing (private-key …)`);
    const algo = pk[1];
    if (!Array.isArray(algo) || !head(algo)) throw new KeyFileError(file, `${label}: empty (private-key)`);
    if (head(algo) !== 'dsa') {
      throw new KeyFileError(file, `${label}: unsupported key type "${head(algo)}" (libotr uses DSA)`);
    }
    const mpi = (name: string): bigint => {
      const f = algo.slice(1).find((e) => head(e) === name);
      if (!Array.isArray(f) || !isAtom(f[1]) || f[1].length === 0) {
        throw new KeyFileError(file, `${label}: DSA key without its "${name}" value`);
      }
      return unsignedFromTwosComplement(f[1]);
    };
    const key: DsaPrivateKey = { p: mpi('p'), q: mpi('q'), g: mpi('g'), y: mpi('y'), x: mpi('x') };
    checkDsaKey(key, file, label);
    out.push({ account, protocol, key });
  }
  return out;
}

function checkDsaKey(k: DsaPrivateKey, file: string, label: string): void {
  const bad = (why: string): never => { throw new KeyFileError(file, `${label}: invalid DSA key: ${why}`); };
  if (k.p < 3n || (k.p & 1n) === 0n) bad('p is not an odd number');
  if (k.q < 3n || k.q >= k.p || (k.p - 1n) % k.q !== 0n) bad('q does not divide p-1');
  if (k.g <= 1n || k.g >= k.p) bad('g out of range');
  if (k.x <= 0n || k.x >= k.q) bad('x out of range');
  if (k.y <= 1n || k.y >= k.p) bad('y out of range');
  if (modPow(k.g, k.x, k.p) !== k.y) bad('y does not match x (the file is damaged)');
}

const TOKEN_RE = /^[A-Za-z\-./_:*+=][A-Za-z0-9\-./_:*+=]*$/;

/** An atom the way libgcrypt's advanced format writes it: a bare token when it can, else quoted. */
function atom(s: string): string {
  if (TOKEN_RE.test(s)) return s;
  let q = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22) q += '\\"';
    else if (b === 0x5c) q += '\\\\';
    else if (b === 0x0a) q += '\\n';
    else if (b === 0x0d) q += '\\r';
    else if (b === 0x09) q += '\\t';
    else if (b < 0x20 || b === 0x7f) q += '\\' + b.toString(8).padStart(3, '0');
    else q += String.fromCharCode(b);
  }
  // Bytes ≥ 0x80 were appended one by one as Latin-1 code units; turn them back into UTF-8 text.
  return Buffer.from(q + '"', 'latin1').toString('utf8');
}

/** An MPI in libgcrypt's hex form: even number of digits, 00 prefix when the high bit is set. */
function hexMpi(n: bigint): string {
  let h = n.toString(16).toUpperCase();
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = '00' + h;
  return `#${h}#`;
}

/** Writes a private key file in the layout libotr writes. */
export function serializePrivateKeys(entries: readonly PrivateKeyEntry[]): string {
  let s = '(privkeys\n';
  for (const { account, protocol, key } of entries) {
    s += ' (account\n';
    s += `(name ${atom(account)})\n`;
    s += `(protocol ${atom(protocol)})\n`;
    s += '(private-key \n (dsa \n';
    for (const [name, v] of [['p', key.p], ['q', key.q], ['g', key.g], ['y', key.y], ['x', key.x]] as const) {
      s += `  (${name} ${hexMpi(v)})\n`;
    }
    s += '  )\n )\n )\n';
  }
  return s + ')\n';
}

// ---------------------------------------------------------------- tab-separated files

function lines(text: string): { line: string; no: number }[] {
  return text.split('\n').map((line, i) => ({ line: line.endsWith('\r') ? line.slice(0, -1) : line, no: i + 1 }));
}

function checkField(file: string, no: number, what: string, v: string): void {
  if (v.length === 0) throw new KeyFileError(file, `line ${no}: empty ${what}`);
}

/** A text file's content: bytes are UTF-8. Every parser takes the bytes as read, so no caller picks a decoding. */
function asText(content: Uint8Array | string): string {
  return typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.length).toString('utf8');
}

/** Parses a libotr fingerprint file (its bytes, or text). Blank lines are skipped. */
export function parseFingerprints(content: Uint8Array | string, file = 'fingerprint file'): FingerprintEntry[] {
  const out: FingerprintEntry[] = [];
  for (const { line, no } of lines(asText(content))) {
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (f.length < 4) {
      throw new KeyFileError(file, `line ${no}: expected peer, account, protocol, fingerprint and trust separated by tabs`);
    }
    const [peer, account, protocol, hex] = f as [string, string, string, string];
    checkField(file, no, 'peer name', peer);
    checkField(file, no, 'account name', account);
    checkField(file, no, 'protocol', protocol);
    if (!/^[0-9A-Fa-f]{40}$/.test(hex)) {
      throw new KeyFileError(file, `line ${no}: fingerprint must be 40 hex digits, got ${JSON.stringify(hex.slice(0, 50))}`);
    }
    // libotr keeps everything after the fourth tab as the trust string.
    const trust = f.slice(4).join('\t');
    out.push({ peer, account, protocol, fingerprint: hex.toUpperCase(), trust });
  }
  return out;
}

function noTabs(what: string, v: string): string {
  if (/[\t\n\r]/.test(v)) throw new Error(`${what} ${JSON.stringify(v)} contains a tab or line break`);
  return v;
}

export function serializeFingerprints(entries: readonly FingerprintEntry[]): string {
  return entries
    .map((e) => {
      if (!/^[0-9A-Fa-f]{40}$/.test(e.fingerprint)) throw new Error(`not a fingerprint: ${e.fingerprint}`);
      return [
        noTabs('peer', e.peer), noTabs('account', e.account), noTabs('protocol', e.protocol),
        e.fingerprint.toLowerCase(), noTabs('trust', e.trust),
      ].join('\t') + '\n';
    })
    .join('');
}

/** Parses a libotr instance tag file (its bytes, or text). `#` lines and blank lines are skipped. */
export function parseInstanceTags(content: Uint8Array | string, file = 'instance tag file'): InstanceTagEntry[] {
  const out: InstanceTagEntry[] = [];
  for (const { line, no } of lines(asText(content))) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split('\t');
    if (f.length !== 3) throw new KeyFileError(file, `line ${no}: expected account, protocol and instance tag separated by tabs`);
    const [account, protocol, hex] = f as [string, string, string];
    checkField(file, no, 'account name', account);
    checkField(file, no, 'protocol', protocol);
    if (!/^[0-9A-Fa-f]{1,8}$/.test(hex)) throw new KeyFileError(file, `line ${no}: instance tag must be up to 8 hex digits, got ${JSON.stringify(hex.slice(0, 20))}`);
    const instanceTag = parseInt(hex, 16);
    if (instanceTag < 0x100) throw new KeyFileError(file, `line ${no}: instance tag ${hex} is below 0x100 (reserved)`);
    out.push({ account, protocol, instanceTag });
  }
  return out;
}

export function serializeInstanceTags(entries: readonly InstanceTagEntry[]): string {
  let s = "# WARNING! You shouldn't copy this file to another computer. It is unnecessary and can cause problems.\n";
  for (const e of entries) {
    if (!Number.isInteger(e.instanceTag) || e.instanceTag < 0x100 || e.instanceTag > 0xffffffff) {
      throw new Error(`invalid instance tag ${e.instanceTag}`);
    }
    s += `${noTabs('account', e.account)}\t${noTabs('protocol', e.protocol)}\t${e.instanceTag.toString(16).padStart(8, '0')}\n`;
  }
  return s;
}
