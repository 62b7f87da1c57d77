// The IRC byte budget of one OTR message: the network relays our line to the peer as
// `:nick!ident@host PRIVMSG target :text\r\n`, and that whole line must fit in 512 bytes.
import type { OwnPrefix } from '../../src/modules/api.ts';

export const IRC_LINE_MAX = 512;
/** Used while our real prefix is unknown: RFC 2812 user names are short, host names up to 63 bytes. */
export const UNKNOWN_IDENT_BYTES = 10;
export const UNKNOWN_HOST_BYTES = 63;
/** Never hand the engine less than this (the fragment header alone takes ~40 bytes). */
export const MIN_BUDGET = 100;

export function privmsgTextBudget(prefix: OwnPrefix | undefined, ownNick: string, target: string): number {
  const nick = prefix?.nick ?? ownNick;
  const identBytes = prefix ? Buffer.byteLength(prefix.ident) : UNKNOWN_IDENT_BYTES;
  const hostBytes = prefix ? Buffer.byteLength(prefix.hostname) : UNKNOWN_HOST_BYTES;
  // ':' nick '!' ident '@' host ' PRIVMSG ' target ' :' … '\r\n'
  const overhead = 1 + Buffer.byteLength(nick) + 1 + identBytes + 1 + hostBytes + ' PRIVMSG '.length + Buffer.byteLength(target) + 2 + 2;
  return Math.max(MIN_BUDGET, IRC_LINE_MAX - overhead);
}
