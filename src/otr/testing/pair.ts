// Test helper: two of our sessions talking over in-memory FIFOs (one per direction).
import type { OtrEvent, Policy, ReceiveResult } from '../api.ts';
import { POLICY_OPPORTUNISTIC } from '../api.ts';
import { OtrAccount } from '../account.ts';
import type { OtrSession } from '../session.ts';
import type { DsaPrivateKey } from '../dsa.ts';
import { generateDsaKey } from '../keygen.ts';

let keys: Promise<DsaPrivateKey[]> | undefined;
/** Three DSA keys shared by the tests of one process (alice, bob, mallory). */
export function testKeys(): Promise<DsaPrivateKey[]> {
  keys ??= Promise.all([generateDsaKey(), generateDsaKey(), generateDsaKey()]);
  return keys;
}

export interface Side {
  account: OtrAccount;
  session: OtrSession;
  outbox: string[];
  events: OtrEvent[];
  received: ReceiveResult[];
  maxSize: number;
}

export function makeSide(name: string, peer: string, key: DsaPrivateKey | undefined, policy: Partial<Policy> = {}, now?: () => number): Side {
  const account = new OtrAccount({ name, protocol: 'irc', privateKey: key, policy: { ...POLICY_OPPORTUNISTIC, ...policy }, now });
  return attach(account, peer);
}

export function attach(account: OtrAccount, peer: string): Side {
  const side: Side = { account, session: undefined as unknown as OtrSession, outbox: [], events: [], received: [], maxSize: 0 };
  side.session = account.createSession(peer, {
    inject: (w) => side.outbox.push(w),
    event: (e) => side.events.push(e),
    maxMessageSize: () => side.maxSize,
  });
  return side;
}

/** Delivers everything queued for b, then for a, until both are empty (the bench's pump). */
export function pump(a: Side, b: Side, limit = 1000): void {
  for (let n = 0; n < limit; n++) {
    if (a.outbox.length === 0 && b.outbox.length === 0) return;
    while (a.outbox.length) deliver(a.outbox.shift()!, b);
    while (b.outbox.length) deliver(b.outbox.shift()!, a);
  }
  throw new Error('pump: messages still flowing after the limit');
}

/** Splits at newlines as an IRC client would (libotr's query message has them). */
export function deliver(wire: string, to: Side): void {
  for (const line of wire.split('\n')) to.received.push(to.session.receive(line));
}

export function texts(s: Side): string[] {
  return s.received.flatMap((r) => (r.kind === 'message' && r.encrypted ? [r.text] : []));
}

export function eventTypes(s: Side): string[] {
  return s.events.map((e) => e.type);
}
