// CTCP ACTION inside OTR: irssi-otr, pidgin-otr and ZNC's otr module encrypt `/me waves`
// as the plaintext "/me waves" and turn it back into an ACTION on the other side.

const ME = '/me ';

export function actionToPlaintext(text: string): string {
  return ME + text;
}

/** The decrypted text as the client should see it. */
export function plaintextToMessage(text: string): { kind: 'privmsg' | 'action'; text: string } {
  if (text.startsWith(ME)) return { kind: 'action', text: text.slice(ME.length) };
  if (text === '/me') return { kind: 'action', text: '' };
  return { kind: 'privmsg', text };
}
