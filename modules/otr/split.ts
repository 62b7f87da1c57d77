// A decrypted message can be longer than one IRC line (the peer's OTR client fragments freely):
// it reaches the user's clients as several PRIVMSGs, each within 512 bytes with its prefix and
// CRLF, cut after a space where one is near, never inside a UTF-8 character.

/** Pieces of `text` of at most `maxBytes` UTF-8 bytes each; joined, they give `text` back. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('splitUtf8: maxBytes must leave room for one character');
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const out: string[] = [];
  let piece = '';
  let bytes = 0;
  let lastSpace = -1; // index in `piece` just after the last space
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) {
      // Cut after the last space when it keeps at least half the piece; else cut here.
      const cut = lastSpace > piece.length / 2 ? lastSpace : piece.length;
      out.push(piece.slice(0, cut));
      piece = piece.slice(cut);
      bytes = Buffer.byteLength(piece);
      lastSpace = -1;
    }
    piece += ch;
    bytes += n;
    if (ch === ' ') lastSpace = piece.length;
  }
  if (piece) out.push(piece);
  return out;
}

/** Room for the text of a PRIVMSG (or an ACTION) from `prefix` to `target` in a 512-byte line. */
export function clientTextBudget(prefix: string, target: string, action: boolean): number {
  // ':' prefix ' PRIVMSG ' target ' :' text '\r\n'; an action adds '\x01ACTION ' and '\x01'.
  const overhead = 1 + Buffer.byteLength(prefix) + 9 + Buffer.byteLength(target) + 2 + 2 + (action ? 9 : 0);
  return Math.max(64, 512 - overhead);
}
