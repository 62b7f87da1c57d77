// Fuzzing an OTR session: random and mutated OTR messages and fragments thrown at a session in every
// state. Properties: nothing throws out of the library; nothing unauthenticated comes back as an
// encrypted message (every encrypted text is one the real peer sent); an encrypted session stays
// encrypted with the same fingerprint; and afterwards the real peers can still talk.
import fc from 'fast-check';
import { makeSide, pump, deliver, testKeys, type Side } from '../../src/otr/testing/pair.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';

type Target = 'plaintext' | 'mid_ake' | 'encrypted' | 'finished';

interface Corpus {
  lines: string[];
  sent: Set<string>;
}

/** Wire lines of a real conversation: AKE, data messages, fragments, TLV 1, for v2 and v3. */
async function recordCorpus(keys: DsaPrivateKey[]): Promise<Corpus> {
  const lines: string[] = [];
  const sent = new Set<string>();
  for (const v3 of [true, false]) {
    const a = makeSide('alice', 'bob', keys[0], v3 ? {} : { allowV3: false });
    const b = makeSide('bob', 'alice', keys[1]);
    const tap = (s: Side) => {
      const orig = s.outbox.push.bind(s.outbox);
      s.outbox.push = (...w: string[]) => {
        lines.push(...w.flatMap((x) => x.split('\n')));
        return orig(...w);
      };
    };
    tap(a);
    tap(b);
    a.session.send('hello');
    pump(a, b);
    for (let i = 0; i < 4; i++) {
      const t = `secret ${v3 ? 3 : 2} ${i}`;
      sent.add(t);
      a.session.send(t);
      pump(a, b);
    }
    a.maxSize = b.maxSize = 120;
    const big = 'big '.repeat(60);
    sent.add(big);
    a.session.send(big);
    pump(a, b);
    a.maxSize = b.maxSize = 0;
    a.session.finish();
    pump(a, b);
  }
  return { lines, sent };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function mutate(line: string, kind: number, pos: number, val: number): string {
  const p = line.length === 0 ? 0 : pos % line.length;
  switch (kind) {
    case 0: // flip a base64 character
      return line.slice(0, p) + B64[val % 64] + line.slice(p + 1);
    case 1: { // flip a bit of the decoded message and re-encode
      const m = /^(\?OTR:)([^.]*)(\..*)?$/.exec(line);
      if (!m) return line.slice(0, p) + String.fromCharCode(val % 128) + line.slice(p + 1);
      const bytes = Buffer.from(m[2]!, 'base64');
      if (bytes.length) bytes[pos % bytes.length]! ^= 1 << (val % 8);
      return m[1]! + bytes.toString('base64') + (m[3] ?? '.');
    }
    case 2: // truncate
      return line.slice(0, p);
    case 3: // insert junk
      return line.slice(0, p) + String.fromCharCode(val % 0x3000) + line.slice(p);
    case 4: // fragment header games
      return line.replace(/,(\d{5}),(\d{5}),/, (_s, k, n) => `,${String((Number(k) + val) % 7).padStart(5, '0')},${n},`);
    case 5: { // change the instance tags of a v3 message
      const m = /^\?OTR:([^.]*)\./.exec(line);
      if (!m) return line;
      const bytes = Buffer.from(m[1]!, 'base64');
      if (bytes.length > 11) bytes.writeUInt32BE((val * 2654435761) >>> 0, 3 + 4 * (pos % 2));
      return `?OTR:${bytes.toString('base64')}.`;
    }
    default: // as is (a replay)
      return line;
  }
}

async function bringTo(target: Target, keys: DsaPrivateKey[], v3: boolean): Promise<[Side, Side]> {
  const a = makeSide('alice', 'bob', keys[0], v3 ? {} : { allowV3: false });
  const b = makeSide('bob', 'alice', keys[1]);
  if (target === 'plaintext') return [a, b];
  a.session.startAke();
  if (target === 'mid_ake') {
    for (const w of a.outbox.splice(0)) deliver(w, b); // b sends a DH-Commit and waits
    return [a, b];
  }
  pump(a, b);
  if (target === 'finished') {
    a.session.finish();
    pump(a, b);
  }
  return [a, b];
}

type Recipe =
  | { src: 'pool'; index: number; kind: number; pos: number; val: number }
  | { src: 'line'; line: string };

/** Lines the real peer `a` sends in this run (not delivered): data, fragments, SMP, all valid for b's keys. */
function freshLines(a: Side, b: Side, sent: Set<string>, run: number): string[] {
  if (a.session.state !== 'encrypted') {
    // Mid-AKE: a's genuine answer to b's DH-Commit (a DH-Key b is waiting for).
    const start = a.outbox.length;
    for (const w of b.outbox.splice(0)) deliver(w, a);
    return a.outbox.splice(start).flatMap((w) => w.split('\n'));
  }
  const start = a.outbox.length;
  for (let i = 0; i < 2; i++) {
    const t = `fresh ${run} ${i}`;
    sent.add(t);
    a.session.send(t);
  }
  a.maxSize = 150;
  const big = `big ${run} `.repeat(40);
  sent.add(big);
  a.session.send(big);
  a.maxSize = 0;
  a.session.smpStart('secret', 'question?');
  a.session.extraSymmetricKey(1);
  return a.outbox.splice(start).flatMap((w) => w.split('\n'));
}

export async function runSessionFuzz(numRuns: number, seed?: number, onRun?: (run: number) => void): Promise<void> {
  const keys = await testKeys();
  const corpus = await recordCorpus(keys);
  const recipe: fc.Arbitrary<Recipe> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ src: fc.constant('pool' as const), index: fc.nat(10_000), kind: fc.nat(6), pos: fc.nat(100_000), val: fc.nat(1_000_000) }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((line) => ({ src: 'line' as const, line })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ src: 'line' as const, line: `?OTR:${Buffer.from(b).toString('base64')}.` })) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(3), fc.nat(3), fc.string({ maxLength: 30 })).map(([k, n, x]) => ({ src: 'line' as const, line: `?OTR|00000123|00000456,0000${k},0000${n},${x},` })) },
    { weight: 1, arbitrary: fc.constantFrom('?OTRv23?', '?OTRv2?', '?OTR?', '?OTR Error: x', 'hi \t  \t\t\t\t \t \t \t    \t\t  \t\t').map((line) => ({ src: 'line' as const, line })) },
  );
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Target>('plaintext', 'mid_ake', 'encrypted', 'finished'),
      fc.boolean(),
      fc.array(recipe, { minLength: 1, maxLength: 12 }),
      async (target, v3, recipes) => {
        const [a, b] = await bringTo(target, keys, v3);
        const sent = new Set(corpus.sent);
        const pool = [...freshLines(a, b, sent, run++), ...corpus.lines];
        const before = { state: b.session.state, fp: b.session.activeFingerprint };
        for (const r of recipes) {
          const line = r.src === 'line' ? r.line : mutate(pool[r.index % pool.length]!, r.kind, r.pos, r.val);
          const res = b.session.receive(line); // must not throw
          if (res.kind === 'message' && res.encrypted && !sent.has(res.text)) {
            throw new Error(`unauthenticated text returned as encrypted: ${JSON.stringify(res.text).slice(0, 80)}`);
          }
          const st = b.session.state;
          if (!['plaintext', 'encrypted', 'finished'].includes(st)) throw new Error(`bad state ${st}`);
          if (before.state === 'encrypted' && (st !== 'encrypted' || b.session.activeFingerprint !== before.fp)) {
            throw new Error(`encrypted session changed to ${st} by an unauthenticated line`);
          }
          if (before.state === 'finished' && st === 'plaintext') throw new Error('finished session became plaintext');
          // The real peer never completes an AKE here, so nothing can make b secure.
          if (before.state !== 'encrypted' && st === 'encrypted') throw new Error('AKE completed from fuzzed input');
        }
        if (before.state === 'encrypted') {
          // The real conversation still works both ways.
          a.received.length = b.received.length = 0;
          b.outbox.length = 0;
          a.session.send('probe a');
          pump(a, b);
          b.session.send('probe b');
          pump(a, b);
          const gotB = b.received.some((x) => x.kind === 'message' && x.encrypted && x.text === 'probe a');
          const gotA = a.received.some((x) => x.kind === 'message' && x.encrypted && x.text === 'probe b');
          if (!gotA || !gotB) throw new Error(`session broken after fuzz (a got ${gotA}, b got ${gotB})`);
        }
        a.session.dispose();
        b.session.dispose();
        onRun?.(run);
      },
    ),
    { numRuns, seed },
  );
}
