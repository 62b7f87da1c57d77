// Engine fuzzer: random and mutated OTR wire lines and fragments thrown at a session in every state.
// Shared by the CI-sized test (engine.test.ts) and `npm run fuzz` (run.ts).
//
// Each case picks a victim session (alice) in one of the states below, with its genuine peer (bob), and
// delivers a few lines built from a corpus of genuine wire messages (AKE messages, data messages with
// text, SMP and disconnect TLVs, fragments, queries, tags, errors: from this pair and from strangers),
// mutated at the byte level inside the base64, at the character level, in fragment headers, or replaced by
// OTR-looking noise. Invariants, after every line:
//   - receive() returns and nothing throws out of the library; no internal error (TypeError & co.) shows
//     up as a `malformed` event;
//   - a result with encrypted: true carries a text bob genuinely sent to alice in this session, at most once;
//   - the message state changes only with the event that announces it (gone_secure, still_secure,
//     gone_insecure), and the active fingerprint only with gone_secure/still_secure;
//   - the session's getters stay coherent (version only while encrypted, SMP only while encrypted);
// and after the case, when both sides are still encrypted with each other, a genuine round trip works.
import fc from 'fast-check';
import { POLICY_OPPORTUNISTIC, type OtrEvent, type Policy, type ReceiveResult } from '../../src/otr/api.ts';
import { OtrAccount } from '../../src/otr/account.ts';
import type { OtrSession } from '../../src/otr/session.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';
import { generateDsaKey } from '../../src/otr/keygen.ts';
import { fragmentMessage } from '../../src/otr/fragment.ts';

export const STATES = [
  'plaintext',
  'query_sent',
  'await_dh_key',
  'await_reveal_sig',
  'await_sig',
  'encrypted_v3',
  'encrypted_v2',
  'smp_asked',
  'smp_expect2',
  'finished',
  'require_queued',
] as const;
export type StateName = (typeof STATES)[number];

interface Side {
  account: OtrAccount;
  session: OtrSession;
  outbox: string[];
  events: OtrEvent[];
}

export interface Fixture {
  state: StateName;
  alice: Side;
  bob: Side;
  /** Texts bob encrypted for alice; each may be accepted once. */
  genuine: Set<string>;
  accepted: Set<string>;
  /** Genuine lines addressed to alice in this fixture (undelivered: mutation material). */
  material: string[];
  /** material[0..baseMaterial) is fixed; the rest is refreshed after each round trip. */
  baseMaterial: number;
  signature: string;
}

let keysPromise: Promise<DsaPrivateKey[]> | undefined;
export function fuzzKeys(): Promise<DsaPrivateKey[]> {
  keysPromise ??= Promise.all([generateDsaKey(), generateDsaKey(), generateDsaKey()]);
  return keysPromise;
}

function side(name: string, peer: string, key: DsaPrivateKey, policy: Partial<Policy>): Side {
  const account = new OtrAccount({ name, protocol: 'irc', privateKey: key, policy: { ...POLICY_OPPORTUNISTIC, ...policy } });
  const s: Side = { account, session: undefined as unknown as OtrSession, outbox: [], events: [] };
  s.session = account.createSession(peer, {
    inject: (w) => s.outbox.push(...w.split('\n')),
    event: (e) => s.events.push(e),
    maxMessageSize: () => 0,
  });
  return s;
}

function deliverAll(from: Side, to: Side): ReceiveResult[] {
  const out: ReceiveResult[] = [];
  while (from.outbox.length) out.push(to.session.receive(from.outbox.shift()!));
  return out;
}

function pump(a: Side, b: Side): void {
  for (let i = 0; i < 50 && (a.outbox.length || b.outbox.length); i++) {
    deliverAll(a, b);
    deliverAll(b, a);
  }
}

/** Builds alice (the victim) in `state`, with bob as her genuine peer. */
export function buildFixture(state: StateName, keys: DsaPrivateKey[]): Fixture {
  const [ka, kb] = keys as [DsaPrivateKey, DsaPrivateKey];
  const v2 = state === 'encrypted_v2';
  const alice = side('alice', 'bob', ka, state === 'require_queued' ? { requireEncryption: true } : v2 ? { allowV3: false } : {});
  const bob = side('bob', 'alice', kb, {});
  const genuine = new Set<string>();
  const material: string[] = [];
  let n = 0;
  const bobSays = (text?: string) => {
    const t = text ?? `genuine ${state} ${n++} ${'x'.repeat(n % 7)}`;
    genuine.add(t);
    bob.session.send(t);
    material.push(...bob.outbox.splice(0));
  };
  switch (state) {
    case 'plaintext':
      bob.session.send('hello there'); // whitespace-tagged plaintext as material
      material.push(...bob.outbox.splice(0));
      break;
    case 'query_sent':
      alice.session.startAke();
      alice.outbox.length = 0;
      break;
    case 'await_dh_key':
      bob.session.startAke();
      deliverAll(bob, alice); // alice answers the query with a DH-Commit
      material.push(...alice.outbox); // (her own lines, for reflection)
      deliverAll(alice, bob); // bob's DH-Key is the material
      material.push(...bob.outbox.splice(0));
      break;
    case 'await_reveal_sig':
      alice.session.startAke();
      deliverAll(alice, bob);
      material.push(...bob.outbox);
      deliverAll(bob, alice); // DH-Commit in; alice sends DH-Key and waits for the Reveal-Signature
      deliverAll(alice, bob);
      material.push(...bob.outbox.splice(0)); // the genuine Reveal-Signature
      break;
    case 'await_sig':
      bob.session.startAke();
      deliverAll(bob, alice);
      deliverAll(alice, bob);
      deliverAll(bob, alice); // DH-Key in; alice sends Reveal-Signature and waits for the Signature
      deliverAll(alice, bob);
      material.push(...bob.outbox.splice(0)); // the genuine Signature
      break;
    case 'encrypted_v3':
    case 'encrypted_v2':
    case 'smp_asked':
    case 'smp_expect2':
    case 'finished':
      alice.session.startAke();
      pump(alice, bob);
      for (let i = 0; i < 3; i++) bobSays();
      if (state === 'smp_asked') {
        bob.session.smpStart('secret', 'question?');
        deliverAll(bob, alice);
        alice.outbox.length = 0;
      }
      if (state === 'smp_expect2') {
        alice.session.smpStart('secret');
        deliverAll(alice, bob);
        bob.session.smpRespond('secret');
        material.push(...bob.outbox.splice(0)); // genuine SMP2
        bob.session.smpAbort();
        material.push(...bob.outbox.splice(0));
      }
      bob.session.extraSymmetricKey(7, new Uint8Array([1, 2]));
      material.push(...bob.outbox.splice(0));
      if (state === 'finished') {
        bob.session.finish();
        material.push(...bob.outbox); // the genuine disconnect, also replayed later
        deliverAll(bob, alice);
        alice.outbox.length = 0;
      }
      break;
    case 'require_queued':
      alice.session.send('queued secret text');
      alice.outbox.length = 0;
      break;
  }
  alice.events.length = 0;
  bob.events.length = 0;
  const f: Fixture = { state, alice, bob, genuine, accepted: new Set(), material, baseMaterial: material.length, signature: '' };
  f.signature = signature(alice.session);
  return f;
}

export function signature(s: OtrSession): string {
  return [s.state, s.version, s.activeFingerprint, s.smpInProgress, JSON.stringify(s.smpPending ?? null), s.queuedCount].join('|');
}

// ---- corpus and mutations ---------------------------------------------------------------------------

/** Genuine lines from strangers and from other pairs, v2 and v3, built once. */
export function strangerCorpus(keys: DsaPrivateKey[]): string[] {
  const [, kb, kc] = keys as [DsaPrivateKey, DsaPrivateKey, DsaPrivateKey];
  const out: string[] = [];
  for (const pol of [{}, { allowV3: false }]) {
    const c = side('carol', 'bob', kc, pol);
    const d = side('bob', 'carol', kb, {});
    const record = (from: Side) => out.push(...from.outbox);
    c.session.startAke();
    for (let i = 0; i < 8 && (c.outbox.length || d.outbox.length); i++) {
      record(c);
      deliverAll(c, d);
      record(d);
      deliverAll(d, c);
    }
    c.session.send('from carol, for someone else');
    d.session.send('from bob, for carol');
    d.session.smpStart('s', 'q');
    record(c);
    record(d);
    deliverAll(c, d);
    deliverAll(d, c);
    c.session.smpRespond('s');
    record(c);
    deliverAll(c, d);
    record(d);
    // Fragmented data messages, both formats.
    const long = 'L'.repeat(900);
    d.session.send(long);
    for (const w of d.outbox.splice(0)) out.push(...fragmentMessage(w, 200, d.session.version ?? 3, d.account.instanceTag, c.account.instanceTag));
  }
  out.push(
    '?OTRv23?', '?OTRv3?', '?OTRv2?', '?OTR?v2?', '?OTRv?', '?OTR?', '?OTR Error: You are wrong', '?OTR Error:',
    'hi \t  \t\t\t\t \t \t \t    \t\t  \t \t  \t\t  \t\t', 'plain text', '', '?OTR:', '?OTR:AAMC.', '?OTR:AAIK.', '?OTR:AAMD.',
    '?OTR|00000100|00000100,00001,00002,abc,', '?OTR,1,1,?OTR:AAMD,', '?OTR|ffffffff|00000000,1,1,?OTRv3?,',
  );
  return out;
}

const NOISE = ['?OTR', '?OTR:', '?OTR|', '?OTR,', '?OTRv', '3', '2', '?', ',', '|', '.', 'AAMD', 'AAMC', 'AAIK', 'AAMK', 'AAMR', 'AAMS', 'AAID',
  '\t', ' ', '00000100', '00001', '65535', '=', 'Error:', '\u0000', 'é'];

export type Mutation =
  | { kind: 'as_is' }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'bit'; at: number; bit: number }
  | { kind: 'header'; at: number; value: number }
  | { kind: 'truncate_bytes'; at: number }
  | { kind: 'extend_bytes'; bytes: Uint8Array }
  | { kind: 'splice_bytes'; at: number; len: number; bytes: Uint8Array }
  | { kind: 'char'; at: number; ch: string }
  | { kind: 'cut'; at: number }
  | { kind: 'concat'; other: number }
  | { kind: 'fragment'; budget: number; drop: number; dup: number; swap: number; headerEdit: number; headerValue: string }
  | { kind: 'noise'; parts: number[] };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'as_is' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('bit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('header' as const), at: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate_bytes' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend_bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice_bytes' as const), at: fc.nat(), len: fc.integer({ min: 0, max: 8 }), bytes: fc.uint8Array({ maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('char' as const), at: fc.nat(), ch: fc.constantFrom(...NOISE) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('concat' as const), other: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fragment' as const),
      budget: fc.integer({ min: 40, max: 400 }),
      drop: fc.nat(), dup: fc.nat(), swap: fc.nat(), headerEdit: fc.nat(),
      headerValue: fc.constantFrom('0', '00000', '99999', '65536', '-1', 'x', '', '00000000', 'ffffffff', '1'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('noise' as const), parts: fc.array(fc.nat(), { maxLength: 12 }) }) },
);

function decodeOtr(line: string): { prefix: string; bytes: Buffer } | undefined {
  const at = line.indexOf('?OTR:');
  if (at < 0) return undefined;
  const end = line.indexOf('.', at);
  const b64 = line.slice(at + 5, end < 0 ? undefined : end);
  return { prefix: line.slice(0, at), bytes: Buffer.from(b64, 'base64') };
}

const encodeOtr = (prefix: string, bytes: Uint8Array) => `${prefix}?OTR:${Buffer.from(bytes).toString('base64')}.`;

/** The lines one mutation of `line` turns into (a fragment mutation yields several). */
export function mutate(line: string, m: Mutation, pool: string[], tags: [number, number]): string[] {
  const dec = decodeOtr(line);
  const bytesOp = (f: (b: Buffer) => Uint8Array): string[] => {
    if (!dec || dec.bytes.length === 0) return [line];
    return [encodeOtr(dec.prefix, f(Buffer.from(dec.bytes)))];
  };
  switch (m.kind) {
    case 'as_is':
      return [line];
    case 'byte':
      return bytesOp((b) => ((b[m.at % b.length] = m.value), b));
    case 'bit':
      return bytesOp((b) => ((b[m.at % b.length]! ^= 1 << m.bit), b));
    case 'header':
      return bytesOp((b) => (m.at < b.length && (b[m.at] = m.value), b));
    case 'truncate_bytes':
      return bytesOp((b) => b.subarray(0, m.at % b.length));
    case 'extend_bytes':
      return bytesOp((b) => Buffer.concat([b, m.bytes]));
    case 'splice_bytes':
      return bytesOp((b) => {
        const at = m.at % b.length;
        return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at + m.len)]);
      });
    case 'char': {
      const at = line.length ? m.at % (line.length + 1) : 0;
      return [line.slice(0, at) + m.ch + line.slice(at + 1)];
    }
    case 'cut':
      return [line.slice(0, line.length ? m.at % line.length : 0)];
    case 'concat':
      return [line + (pool.length ? pool[m.other % pool.length]! : '')];
    case 'fragment': {
      const version = line.startsWith('?OTR:AAI') ? 2 : 3;
      let frags: string[];
      try {
        frags = fragmentMessage(line, m.budget, version, tags[0], tags[1]);
      } catch {
        frags = [line];
      }
      if (frags.length > 1) {
        const i = m.swap % frags.length;
        const j = (m.swap >> 3) % frags.length;
        [frags[i], frags[j]] = [frags[j]!, frags[i]!];
        if (m.dup % 3 === 0) frags.splice(m.dup % frags.length, 0, frags[m.dup % frags.length]!);
        if (m.drop % 4 === 0) frags.splice(m.drop % frags.length, 1);
        if (m.headerEdit % 3 === 0) {
          const k = m.headerEdit % frags.length;
          const fields = frags[k]!.split(',');
          const field = (m.headerEdit >> 2) % Math.min(3, fields.length);
          fields[field] = field === 0 ? fields[0]!.replace(/[0-9a-f]{8}$/, m.headerValue) : m.headerValue;
          frags[k] = fields.join(',');
        }
      }
      return frags;
    }
    case 'noise':
      return [m.parts.map((p) => NOISE[p % NOISE.length]).join('')];
  }
}

// ---- the check ----------------------------------------------------------------------------------

const INTERNAL_ERROR = /Cannot read prop|is not a function|is not iterable|undefined|Maximum call stack|Invalid array length|BigInt|not defined/;
const STATE_EVENTS = new Set(['gone_secure', 'still_secure', 'gone_insecure']);

export class FuzzFailure extends Error {}

function fail(f: Fixture, line: string, why: string): never {
  throw new FuzzFailure(`[${f.state}] ${why}\n  line: ${JSON.stringify(line.slice(0, 300))}`);
}

/** Delivers one line to alice and checks the invariants. */
export function deliverChecked(f: Fixture, line: string): ReceiveResult {
  const s = f.alice.session;
  const before = { state: s.state, fp: s.activeFingerprint };
  const evStart = f.alice.events.length;
  let res: ReceiveResult;
  try {
    res = s.receive(line);
  } catch (e) {
    fail(f, line, `receive threw: ${(e as Error)?.stack ?? e}`);
  }
  const events = f.alice.events.slice(evStart);
  for (const e of events) {
    if (e.type === 'malformed' && INTERNAL_ERROR.test(e.detail)) fail(f, line, `internal error surfaced: ${e.detail}`);
    if (e.type === 'smp_error' && INTERNAL_ERROR.test(e.reason)) fail(f, line, `internal SMP error: ${e.reason}`);
  }
  if (!res || (res.kind !== 'message' && res.kind !== 'internal')) fail(f, line, `bad result ${JSON.stringify(res)}`);
  if (res.kind === 'message' && res.encrypted) {
    if (!f.genuine.has(res.text)) fail(f, line, `unauthenticated text returned as encrypted: ${JSON.stringify(res.text.slice(0, 80))}`);
    if (f.accepted.has(res.text)) fail(f, line, `replayed text accepted twice: ${JSON.stringify(res.text)}`);
    f.accepted.add(res.text);
    if (before.state !== 'encrypted') fail(f, line, 'encrypted text while not encrypted');
  }
  const after = { state: s.state, fp: s.activeFingerprint };
  const announced = events.some((e) => STATE_EVENTS.has(e.type));
  if (after.state !== before.state && !announced) fail(f, line, `state ${before.state} -> ${after.state} without an event`);
  if (after.state === 'encrypted' && before.state === 'encrypted' && after.fp !== before.fp &&
      !events.some((e) => e.type === 'gone_secure' || e.type === 'still_secure')) {
    fail(f, line, 'active fingerprint changed silently');
  }
  if (s.state !== 'encrypted' && (s.version !== undefined || s.smpInProgress || s.smpPending)) fail(f, line, 'encrypted-only state outside encryption');
  if (!['plaintext', 'encrypted', 'finished'].includes(s.state)) fail(f, line, `bad state ${s.state}`);
  // A genuine-looking AKE with a stranger can make alice secure with someone else only via an event:
  if (after.state === 'encrypted' && after.fp !== undefined && after.fp !== f.bob.account.fingerprint && !announced) {
    fail(f, line, 'secure with a stranger without an event');
  }
  return res;
}

/** After a case: if alice and bob are still encrypted with each other, a genuine round trip must work. */
export function checkRoundTrip(f: Fixture): void {
  const a = f.alice.session;
  const b = f.bob.session;
  if (a.state !== 'encrypted' || b.state !== 'encrypted') return;
  if (a.activeFingerprint !== f.bob.account.fingerprint || b.activeFingerprint !== f.alice.account.fingerprint) return;
  const text = `round trip ${f.genuine.size}`;
  f.genuine.add(text);
  b.send(text);
  let got = false;
  while (f.bob.outbox.length) {
    const r = a.receive(f.bob.outbox.shift()!);
    if (r.kind === 'message' && r.encrypted && r.text === text) got = true;
  }
  f.accepted.add(text);
  if (!got) fail(f, text, `genuine message from bob no longer decrypts: ${JSON.stringify(f.alice.events.slice(-3))}`);
  // Fresh undelivered data messages for the next cases (older ones are stale once keys rotate).
  const fresh = `genuine ${f.state} fresh ${f.genuine.size}`;
  f.genuine.add(fresh);
  b.send(fresh);
  f.material.splice(f.baseMaterial, Infinity, ...f.bob.outbox.splice(0));
}

/**
 * A line is either corpus material under a mutation, or an authenticated one: bob encrypts a text whose
 * NUL is followed by arbitrary (7-bit) bytes, which alice parses as TLVs — the only way to reach the TLV
 * and SMP parsers of an encrypted session with garbage, since anything else fails the MAC.
 */
export type FuzzLine =
  | { kind: 'mutated'; source: number; stranger: boolean; mutation: Mutation }
  | { kind: 'authentic'; prefix: string; tlvs: number[] };

export interface FuzzCase {
  state: number;
  lines: FuzzLine[];
}

const tlvGarbage = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 40 }),
  // Well-formed TLV headers (type 0..9, plausible lengths) with 7-bit bodies.
  fc.array(
    fc.tuple(fc.integer({ min: 0, max: 9 }), fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 30 }), fc.integer({ min: -2, max: 2 }))
      .map(([type, body, skew]) => [0, type, 0, Math.max(0, Math.min(127, body.length + skew)), ...body]),
    { maxLength: 3 },
  ).map((xs) => xs.flat()),
);

export const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  state: fc.nat({ max: STATES.length - 1 }),
  lines: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutated' as const), source: fc.nat(), stranger: fc.boolean(), mutation: mutationArb }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('authentic' as const), prefix: fc.constantFrom('', 'hi', 'ok then'), tlvs: tlvGarbage }) },
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

/** Runs fuzz cases against fixtures kept per state (rebuilt when a case changed their public state). */
export class EngineFuzzer {
  private fixtures = new Map<StateName, Fixture>();
  rebuilds = 0;
  cases = 0;
  lines = 0;
  /** How often each event type and result kind was seen (to show what the fuzzer reaches). */
  readonly seen = new Map<string, number>();

  constructor(private readonly keys: DsaPrivateKey[], private readonly strangers: string[]) {}

  static async create(): Promise<EngineFuzzer> {
    const keys = await fuzzKeys();
    return new EngineFuzzer(keys, strangerCorpus(keys));
  }

  private fixture(state: StateName): Fixture {
    let f = this.fixtures.get(state);
    if (!f || signature(f.alice.session) !== f.signature) {
      f = buildFixture(state, this.keys);
      this.fixtures.set(state, f);
      this.rebuilds++;
    }
    return f;
  }

  private deliver(f: Fixture, line: string): void {
    this.lines++;
    const r = deliverChecked(f, line);
    const k = r.kind === 'message' ? (r.encrypted ? 'result:encrypted' : 'result:plaintext') : 'result:internal';
    this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
  }

  private authentic(f: Fixture, prefix: string, tlvs: number[]): void {
    const bob = f.bob.session;
    if (bob.state === 'encrypted') f.genuine.add(prefix);
    bob.send(`${prefix}\0${String.fromCharCode(...tlvs)}`);
    while (f.bob.outbox.length) this.deliver(f, f.bob.outbox.shift()!);
    // The authenticated prefix may legitimately come again in a later authentic line.
    f.accepted.delete(prefix);
  }

  run(c: FuzzCase): void {
    const f = this.fixture(STATES[c.state]!);
    this.cases++;
    for (const l of c.lines) {
      if (l.kind === 'authentic') {
        this.authentic(f, l.prefix, l.tlvs);
        continue;
      }
      const pool = l.stranger || f.material.length === 0 ? this.strangers : f.material;
      const base = pool[l.source % pool.length]!;
      const tags: [number, number] = [f.bob.account.instanceTag, f.alice.account.instanceTag];
      for (const line of mutate(base, l.mutation, this.strangers, tags)) this.deliver(f, line);
    }
    for (const e of f.alice.events) this.seen.set(e.type, (this.seen.get(e.type) ?? 0) + 1);
    f.alice.events.length = 0;
    f.alice.outbox.length = 0; // alice's answers never reach bob: he stays in his state
    checkRoundTrip(f);
  }
}
