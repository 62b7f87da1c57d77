// Argument parsing of the `*otr` commands: pure functions from the text after the command name
// to either the parsed arguments or a one-line explanation (the caller adds the synopsis).
import { T } from './texts.ts';

export type Parsed<V> = ({ ok: true } & V) | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** Split off the first word; `rest` keeps everything after the separating spaces untouched. */
export function firstWord(s: string): { word: string; rest: string } {
  const t = s.replace(/^[ \t]+/, '');
  const m = /^(\S+)(?:[ \t]+([\s\S]*))?$/.exec(t);
  if (!m) return { word: '', rest: '' };
  return { word: m[1]!, rest: m[2] ?? '' };
}

export function isValidNick(s: string): boolean {
  return s.length > 0 && s.length <= 64 && !/[\s,!@*?:\x00-\x1f\x7f]/.test(s) && !/^[0-9-]/.test(s);
}

function nickOnly(rest: string): Parsed<{ nick: string }> {
  const { word, rest: extra } = firstWord(rest);
  if (!word) return fail(T.missingNick);
  if (!isValidNick(word)) return fail(T.notANick(word));
  if (extra.trim()) return fail(T.tooManyArgs);
  return { ok: true, nick: word };
}

/** finish, authabort, start */
export const parseNick = nickOnly;

/** auth <nick> <secret>: the secret is the rest of the line. */
export function parseAuth(rest: string): Parsed<{ nick: string; secret: string }> {
  const { word, rest: secret } = firstWord(rest);
  if (!word) return fail(T.missingNick);
  if (!isValidNick(word)) return fail(T.notANick(word));
  if (!secret.trim()) return fail(T.noSecret);
  return { ok: true, nick: word, secret };
}

/** authq <nick> [question] <secret>: the question in literal square brackets, then the secret. */
export function parseAuthq(rest: string): Parsed<{ nick: string; question: string; secret: string }> {
  const { word, rest: after } = firstWord(rest);
  if (!word) return fail(T.missingNick);
  if (!isValidNick(word)) return fail(T.notANick(word));
  if (!after.startsWith('[')) return fail(T.noQuestion);
  // The question may itself contain brackets ("[is it [x]?] y"): it ends at the first ']'
  // followed by a space or the end of the line.
  const m = /\](?=[ \t]|$)/.exec(after);
  if (!m) return fail(T.closingBracketMissing);
  const question = after.slice(1, m.index).trim();
  if (!question) return fail(T.emptyQuestion);
  const secret = after.slice(m.index + 1).replace(/^[ \t]+/, '');
  if (!secret.trim()) return fail(T.noSecret);
  return { ok: true, nick: word, question, secret };
}

/** trust / distrust: a nick, or a fingerprint with or without spaces, in any case. */
export function parseTrustArg(rest: string): Parsed<{ nick: string } | { fingerprint: string }> {
  const arg = rest.trim();
  if (!arg) return fail(T.missingNick);
  const compact = arg.replace(/\s+/g, '');
  if (/^[0-9a-fA-F]{40}$/.test(compact)) return { ok: true, fingerprint: compact.toUpperCase() };
  if (/\s/.test(arg)) return fail(T.fingerprintNotFound(arg));
  if (!isValidNick(arg)) return fail(T.fingerprintNotFound(arg));
  return { ok: true, nick: arg };
}

export function parseGenkey(rest: string): Parsed<{ overwrite: boolean }> {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  let overwrite = false;
  for (const w of words) {
    if (w === '--overwrite') overwrite = true;
    else return fail(w.startsWith('-') ? T.unknownOption(w) : T.tooManyArgs);
  }
  return { ok: true, overwrite };
}

/** ignore / enable [--remove] [pattern] */
export function parseListArg(rest: string): Parsed<{ op: 'list' } | { op: 'add' | 'remove'; pattern: string }> {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  let remove = false;
  if (words[0] === '--remove') {
    remove = true;
    words.shift();
  }
  if (words.length > 1) return fail(T.tooManyArgs);
  const pattern = words[0];
  if (pattern === undefined) return remove ? fail(T.missingNick) : { ok: true, op: 'list' };
  if (pattern.startsWith('-')) return fail(T.unknownOption(pattern));
  return { ok: true, op: remove ? 'remove' : 'add', pattern };
}
