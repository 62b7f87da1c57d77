// Recognises an OTR data message (or the first fragment of one) by its header, without decrypting:
// the module needs to know when the peer sends encrypted data into a session we no longer have
// (the bouncer restarted), which the engine drops silently for an unknown v3 instance.

const FLAG_IGNORE_UNREADABLE = 0x01;
const MSG_DATA = 0x03;

/** The base64 of an OTR message at the start of a line or of a first fragment. */
function encodedStart(line: string): string | undefined {
  if (line.startsWith('?OTR:')) return line.slice(5);
  // v3: ?OTR|sender|receiver,k,n,piece,   v2: ?OTR,k,n,piece,
  const m = /^\?OTR(?:\|[0-9a-fA-F]{1,8}\|[0-9a-fA-F]{1,8})?,0*1,\d+,\?OTR:([^,]*)/.exec(line);
  return m?.[1];
}

/** For a data message: whether the peer marked it "ignore if unreadable" (heartbeats, TLV-only). */
export function dataMessageFlags(line: string): { ignoreUnreadable: boolean } | undefined {
  const b64 = encodedStart(line);
  if (b64 === undefined || b64.length < 16) return undefined;
  const head = Buffer.from(b64.slice(0, 16), 'base64');
  if (head.length < 12) return undefined;
  const version = head.readUInt16BE(0);
  if (head[2] !== MSG_DATA || (version !== 2 && version !== 3)) return undefined;
  const flags = version === 3 ? head[11]! : head[3]!;
  return { ignoreUnreadable: (flags & FLAG_IGNORE_UNREADABLE) !== 0 };
}
