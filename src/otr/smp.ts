// The Socialist Millionaires' Protocol (spec "The Socialist Millionaires' Protocol"), as libotr 4.1.1's
// sm.c and message.c run it. One Smp per session instance; it only turns SMP TLVs (types 2..7) into
// reply TLVs and typed events. The session wraps the TLVs in data messages (flag IGNORE_UNREADABLE,
// as libotr), fills in the fingerprint of smp_success and drops the state when it leaves ENCRYPTED.
//
// Where the spec leaves room we do what libotr does:
//   - 1536-bit MODP group, generator 2, exponents of 192 random bytes, SHA-256 proofs with versions 1..8;
//   - every received group element must satisfy 2 <= x <= p-2 and every D value 1 <= D < q (libotr's
//     check_group_elem / check_expon; libotr does no subgroup-order check, so neither do we — it would
//     cost a 1536-bit modexp per element);
//   - a TLV must hold exactly the expected count of MPIs (we also refuse trailing bytes);
//   - after SMP1 arrives we wait for the user's secret with the state still "expect 1", so a new SMP1
//     replaces the pending one (libotr keeps nextExpected = EXPECT1 until otrl_message_respond_smp);
//   - any failure ends the exchange and the reply is an abort TLV (type 6), which is what libotr's
//     applications send on OTRL_SMPEVENT_CHEATED / OTRL_SMPEVENT_ERROR. Events:
//       smp_error   the TLV is out of order or structurally malformed (truncated, wrong MPI count,
//                   missing question terminator);
//       smp_cheated a value is out of range or a zero-knowledge proof does not verify (libotr reports
//                   both as CHEATED).
//   - a received abort always reports smp_aborted, even when nothing was under way (as libotr), with
//     wasUnderWay saying which (python-potr sends one after every failed SMP).
// The comparison Pa/Pb == Rab is done as Pa == Rab·Pb, which saves a modular inverse.
import { bytesToBigint, mod, modInverse } from './crypto/bigint.ts';
import { modPow } from './crypto/modexp.ts';
import { randomExponent } from './crypto/random.ts';
import { sha256 } from './crypto/hash.ts';
import { DH_P } from './dh.ts';
import { TLV_SMP1, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, TLV_SMP1Q } from './tlv.ts';
import { Reader, Writer } from './serial.ts';
import type { SmpEvent, Tlv } from './api.ts';

export { TLV_SMP1, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, TLV_SMP1Q };

const P = DH_P;
const Q = (P - 1n) / 2n;
const G1 = 2n;
const P_MINUS_2 = P - 2n;
/** A proof's c is a SHA-256 output; anything larger cannot match and is not worth a modexp. */
const HASH_BOUND = 1n << 256n;
const EXPONENT_BYTES = 192;

const MSG1_LEN = 6;
const MSG2_LEN = 11;
const MSG3_LEN = 8;
const MSG4_LEN = 3;

type State =
  | { kind: 'expect1' }
  /** SMP1 received and verified; waiting for respond(). */
  | { kind: 'asked'; g2a: bigint; g3a: bigint; question: boolean }
  /** We sent SMP1. */
  | { kind: 'expect2'; x: bigint; a2: bigint; a3: bigint }
  /** We sent SMP2. */
  | { kind: 'expect3'; g2: bigint; g3: bigint; g3a: bigint; b3: bigint; pb: bigint; qb: bigint; question: boolean }
  /** We sent SMP3. */
  | { kind: 'expect4'; g3b: bigint; pa: bigint; pb: bigint; qab: bigint; a3: bigint };

/** A TLV that is not well formed (ends the exchange with smp_error). */
class SmpMalformed extends Error {}
/** A value out of range or a proof that does not verify (ends the exchange with smp_cheated). */
class SmpCheated extends Error {}

export interface SmpResult {
  reply?: Tlv;
  events: SmpEvent[];
}

export class Smp {
  private state: State = { kind: 'expect1' };

  /** An SMP1 arrived and respond() is expected. */
  get awaitingSecret(): boolean {
    return this.state.kind === 'asked';
  }

  /** An exchange has begun and has not ended (including while we wait for our user's secret). */
  get inProgress(): boolean {
    return this.state.kind !== 'expect1';
  }

  reset(): void {
    this.state = { kind: 'expect1' };
  }

  /**
   * Begin an exchange as the initiator: TLV 2 (SMP1), or 7 (SMP1Q) with a question. Any exchange under way
   * is dropped; when inProgress is true the caller should first send abort() in a message of its own (the
   * spec's restart rule; libotr processes an abort after the other SMP TLVs of one message).
   */
  start(secret: Uint8Array, ourFp: Uint8Array, theirFp: Uint8Array, ssid: Uint8Array, question?: string): Tlv {
    // A NUL would end the question on the wire; libotr's C string stops there too.
    const q = question === undefined ? undefined : new TextEncoder().encode(question.split('\0')[0]);
    const x = combinedSecret(ourFp, theirFp, ssid, secret);
    const a2 = randomExponent(EXPONENT_BYTES);
    const a3 = randomExponent(EXPONENT_BYTES);
    const g2a = modPow(G1, a2, P);
    const g3a = modPow(G1, a3, P);
    const [c2, d2] = proveKnowLog(a2, 1);
    const [c3, d3] = proveKnowLog(a3, 2);
    const mpis = serialize([g2a, c2, d2, g3a, c3, d3]);
    this.state = { kind: 'expect2', x, a2, a3 };
    if (q === undefined) return { type: TLV_SMP1, value: mpis };
    const value = new Uint8Array(q.length + 1 + mpis.length);
    value.set(q);
    value.set(mpis, q.length + 1);
    return { type: TLV_SMP1Q, value };
  }

  /** Answer a received SMP1 with our secret (after an smp_asked event): TLV 3 (SMP2). */
  respond(secret: Uint8Array, ourFp: Uint8Array, theirFp: Uint8Array, ssid: Uint8Array): Tlv {
    const s = this.state;
    if (s.kind !== 'asked') throw new Error('Smp.respond: no SMP question is waiting for an answer');
    const y = combinedSecret(theirFp, ourFp, ssid, secret);
    const b2 = randomExponent(EXPONENT_BYTES);
    const b3 = randomExponent(EXPONENT_BYTES);
    const g2b = modPow(G1, b2, P);
    const g3b = modPow(G1, b3, P);
    const [c2, d2] = proveKnowLog(b2, 3);
    const [c3, d3] = proveKnowLog(b3, 4);
    const g2 = modPow(s.g2a, b2, P);
    const g3 = modPow(s.g3a, b3, P);
    const r4 = randomExponent(EXPONENT_BYTES);
    const pb = modPow(g3, r4, P);
    const qb = (modPow(G1, r4, P) * modPow(g2, y, P)) % P;
    const [cp, d5, d6] = proveEqualCoords(g2, g3, r4, y, 5);
    this.state = { kind: 'expect3', g2, g3, g3a: s.g3a, b3, pb, qb, question: s.question };
    return { type: TLV_SMP2, value: serialize([g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6]) };
  }

  /** Stop any exchange: TLV 6, to be sent to the peer. */
  abort(): Tlv {
    this.reset();
    return abortTlv();
  }

  /** Process one received SMP TLV (types 2..7; other types are ignored). Never throws. */
  handle(tlv: Tlv): SmpResult {
    try {
      switch (tlv.type) {
        case TLV_SMP_ABORT: {
          const wasUnderWay = this.inProgress;
          this.reset();
          return { events: [{ type: 'smp_aborted', byPeer: true, wasUnderWay }] };
        }
        case TLV_SMP1:
        case TLV_SMP1Q:
          if (this.state.kind !== 'expect1' && this.state.kind !== 'asked') return this.unexpected(tlv.type);
          return this.receive1(tlv.value, tlv.type === TLV_SMP1Q);
        case TLV_SMP2:
          if (this.state.kind !== 'expect2') return this.unexpected(tlv.type);
          return this.receive2(this.state, tlv.value);
        case TLV_SMP3:
          if (this.state.kind !== 'expect3') return this.unexpected(tlv.type);
          return this.receive3(this.state, tlv.value);
        case TLV_SMP4:
          if (this.state.kind !== 'expect4') return this.unexpected(tlv.type);
          return this.receive4(this.state, tlv.value);
        default:
          return { events: [] };
      }
    } catch (e) {
      this.reset();
      if (e instanceof SmpCheated) return { reply: abortTlv(), events: [{ type: 'smp_cheated' }] };
      const reason = e instanceof Error ? e.message : String(e);
      return { reply: abortTlv(), events: [{ type: 'smp_error', reason }] };
    }
  }

  private unexpected(type: number): SmpResult {
    this.reset();
    const reason = `unexpected SMP message (TLV type ${type})`;
    return { reply: abortTlv(), events: [{ type: 'smp_error', reason }] };
  }

  /** Bob, SMP1: check Alice's proofs, then wait for the secret. */
  private receive1(value: Uint8Array, withQuestion: boolean): SmpResult {
    let question: string | undefined;
    let body = value;
    if (withQuestion) {
      const nul = value.indexOf(0);
      if (nul < 0) throw new SmpMalformed('SMP1Q without a NUL-terminated question');
      question = new TextDecoder().decode(value.subarray(0, nul));
      body = value.subarray(nul + 1);
    }
    const [g2a, c2, d2, g3a, c3, d3] = unserialize(body, MSG1_LEN);
    groupElements(g2a, g3a);
    exponents(d2, d3);
    checkKnowLog(c2, d2, g2a, 1);
    checkKnowLog(c3, d3, g3a, 2);
    this.state = { kind: 'asked', g2a, g3a, question: withQuestion };
    return { events: [question === undefined ? { type: 'smp_asked' } : { type: 'smp_asked', question }] };
  }

  /** Alice, SMP2: check Bob's proofs, answer with SMP3. */
  private receive2(s: Extract<State, { kind: 'expect2' }>, value: Uint8Array): SmpResult {
    const [g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6] = unserialize(value, MSG2_LEN);
    groupElements(g2b, g3b, pb, qb);
    exponents(d2, d3, d5, d6);
    checkKnowLog(c2, d2, g2b, 3);
    checkKnowLog(c3, d3, g3b, 4);
    const g2 = modPow(g2b, s.a2, P);
    const g3 = modPow(g3b, s.a3, P);
    checkEqualCoords(cp, d5, d6, pb, qb, g2, g3, 5);

    const r4 = randomExponent(EXPONENT_BYTES);
    const pa = modPow(g3, r4, P);
    const qa = (modPow(G1, r4, P) * modPow(g2, s.x, P)) % P;
    const [cp3, d53, d63] = proveEqualCoords(g2, g3, r4, s.x, 6);
    const qab = (qa * modInverse(qb, P)) % P;
    const ra = modPow(qab, s.a3, P);
    const [cr, d7] = proveEqualLogs(qab, s.a3, 7);
    this.state = { kind: 'expect4', g3b, pa, pb, qab, a3: s.a3 };
    return {
      reply: { type: TLV_SMP3, value: serialize([pa, qa, cp3, d53, d63, ra, cr, d7]) },
      events: [{ type: 'smp_progress', step: 'responded' }],
    };
  }

  /** Bob, SMP3: check Alice's proofs, answer with SMP4 and learn the outcome. */
  private receive3(s: Extract<State, { kind: 'expect3' }>, value: Uint8Array): SmpResult {
    const [pa, qa, cp, d5, d6, ra, cr, d7] = unserialize(value, MSG3_LEN);
    groupElements(pa, qa, ra);
    exponents(d5, d6, d7);
    checkEqualCoords(cp, d5, d6, pa, qa, s.g2, s.g3, 6);
    const qab = (qa * modInverse(s.qb, P)) % P;
    checkEqualLogs(cr, d7, ra, s.g3a, qab, 7);

    const rb = modPow(qab, s.b3, P);
    const [cr4, d74] = proveEqualLogs(qab, s.b3, 8);
    const rab = modPow(ra, s.b3, P);
    const same = (rab * s.pb) % P === pa;
    this.reset();
    return {
      reply: { type: TLV_SMP4, value: serialize([rb, cr4, d74]) },
      events: [outcome(same, !s.question)],
    };
  }

  /** Alice, SMP4: check Bob's proof and learn the outcome. */
  private receive4(s: Extract<State, { kind: 'expect4' }>, value: Uint8Array): SmpResult {
    const [rb, cr, d7] = unserialize(value, MSG4_LEN);
    groupElements(rb);
    exponents(d7);
    checkEqualLogs(cr, d7, rb, s.g3b, s.qab, 8);
    const rab = modPow(rb, s.a3, P);
    const same = (rab * s.pb) % P === s.pa;
    this.reset();
    return { events: [outcome(same, true)] };
  }
}

function outcome(same: boolean, updatesTrust: boolean): SmpEvent {
  return same ? { type: 'smp_success', fingerprint: '', updatesTrust } : { type: 'smp_failure', updatesTrust };
}

function abortTlv(): Tlv {
  return { type: TLV_SMP_ABORT, value: new Uint8Array(0) };
}

/** SHA-256(0x01 || initiator fingerprint || responder fingerprint || ssid || secret), as a number. */
export function combinedSecret(
  initiatorFp: Uint8Array,
  responderFp: Uint8Array,
  ssid: Uint8Array,
  secret: Uint8Array,
): bigint {
  const buf = new Uint8Array(1 + initiatorFp.length + responderFp.length + ssid.length + secret.length);
  buf[0] = 1;
  let off = 1;
  for (const part of [initiatorFp, responderFp, ssid, secret]) {
    buf.set(part, off);
    off += part.length;
  }
  const digest = sha256(buf);
  buf.fill(0);
  return bytesToBigint(digest);
}

/** The spec's SMP hash: SHA-256(version BYTE || MPI a [|| MPI b]). */
export function smpHash(version: number, a: bigint, b?: bigint): bigint {
  const w = new Writer(400).byte(version).mpi(a);
  if (b !== undefined) w.mpi(b);
  return bytesToBigint(sha256(w.bytes()));
}

/** c = h(g1^r), D = r - x·c mod q. */
function proveKnowLog(x: bigint, version: number): [bigint, bigint] {
  const r = randomExponent(EXPONENT_BYTES);
  const c = smpHash(version, modPow(G1, r, P));
  return [c, mod(r - x * c, Q)];
}

/** c = h(g3^r1, g1^r1·g2^r2), D1 = r1 - r·c, D2 = r2 - secret·c (mod q). */
function proveEqualCoords(g2: bigint, g3: bigint, r: bigint, secret: bigint, version: number): [bigint, bigint, bigint] {
  const r1 = randomExponent(EXPONENT_BYTES);
  const r2 = randomExponent(EXPONENT_BYTES);
  const c = smpHash(version, modPow(g3, r1, P), (modPow(G1, r1, P) * modPow(g2, r2, P)) % P);
  return [c, mod(r1 - r * c, Q), mod(r2 - secret * c, Q)];
}

/** c = h(g1^r, qab^r), D = r - x3·c mod q. */
function proveEqualLogs(qab: bigint, x3: bigint, version: number): [bigint, bigint] {
  const r = randomExponent(EXPONENT_BYTES);
  const c = smpHash(version, modPow(G1, r, P), modPow(qab, r, P));
  return [c, mod(r - x3 * c, Q)];
}

function checkKnowLog(c: bigint, d: bigint, x: bigint, version: number): void {
  if (c >= HASH_BOUND) throw new SmpCheated();
  const v = (modPow(G1, d, P) * modPow(x, c, P)) % P;
  if (smpHash(version, v) !== c) throw new SmpCheated();
}

/** c == h(g3^D1·p^c, g1^D1·g2^D2·q^c). */
function checkEqualCoords(
  c: bigint, d1: bigint, d2: bigint, p: bigint, q: bigint, g2: bigint, g3: bigint, version: number,
): void {
  if (c >= HASH_BOUND) throw new SmpCheated();
  const a = (modPow(g3, d1, P) * modPow(p, c, P)) % P;
  const b = (((modPow(G1, d1, P) * modPow(g2, d2, P)) % P) * modPow(q, c, P)) % P;
  if (smpHash(version, a, b) !== c) throw new SmpCheated();
}

/** c == h(g1^D·g3o^c, qab^D·r^c), where g3o is the peer's g3 half. */
function checkEqualLogs(c: bigint, d: bigint, r: bigint, g3o: bigint, qab: bigint, version: number): void {
  if (c >= HASH_BOUND) throw new SmpCheated();
  const a = (modPow(G1, d, P) * modPow(g3o, c, P)) % P;
  const b = (modPow(qab, d, P) * modPow(r, c, P)) % P;
  if (smpHash(version, a, b) !== c) throw new SmpCheated();
}

function groupElements(...xs: bigint[]): void {
  for (const x of xs) if (x < 2n || x > P_MINUS_2) throw new SmpCheated();
}

function exponents(...xs: bigint[]): void {
  for (const x of xs) if (x < 1n || x >= Q) throw new SmpCheated();
}

/** The TLV body: INT count, then that many MPIs (minimal encoding). */
export function serialize(mpis: bigint[]): Uint8Array {
  const w = new Writer(4 + mpis.length * 200).int(mpis.length);
  for (const m of mpis) w.mpi(m);
  return w.bytes();
}

function unserialize(value: Uint8Array, count: number): bigint[] {
  try {
    const r = new Reader(value);
    const n = r.int();
    if (n !== count) throw new SmpMalformed(`expected ${count} MPIs, got ${n}`);
    const out: bigint[] = [];
    for (let i = 0; i < count; i++) out.push(r.mpi());
    r.end();
    return out;
  } catch (e) {
    if (e instanceof SmpMalformed) throw e;
    throw new SmpMalformed(`malformed SMP message: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The group, for tests. */
export const SMP_GROUP = Object.freeze({ p: P, q: Q, g: G1 });
