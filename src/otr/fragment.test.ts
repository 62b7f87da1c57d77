import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_REASSEMBLY_CAP, Reassembler, fragmentMessage, parseFragmentHeader } from './fragment.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const otrLike = (len: number, seed = 7): string => {
  let s = '?OTR:';
  let x = seed;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += B64[x % B64.length];
  }
  return s + '.';
};

test('a message that fits, or a budget of 0, is not fragmented', () => {
  const m = otrLike(100);
  assert.deepEqual(fragmentMessage(m, 0, 3, 0x100, 0x200), [m]);
  assert.deepEqual(fragmentMessage(m, m.length, 3, 0x100, 0x200), [m]);
  assert.equal(fragmentMessage(m, m.length - 1, 3, 0x100, 0x200).length, 2);
});

test('v3 fragments have libotr’s exact format and size (37-byte header budget)', () => {
  // WORKLOAD.md msg_us_big: a data message of 3010 chars at 400 becomes 9 fragments, 3334 chars in all.
  const m = otrLike(3010 - 6);
  assert.equal(m.length, 3010);
  const frags = fragmentMessage(m, 400, 3, 0x1234abcd, 0x00000102);
  assert.equal(frags.length, 9);
  assert.equal(frags.join('').length, 3334);
  assert.ok(frags.every((f) => f.length <= 399));
  assert.equal(frags[0], `?OTR|1234abcd|00000102,00001,00009,${m.slice(0, 363)},`);
  assert.equal(frags[8], `?OTR|1234abcd|00000102,00009,00009,${m.slice(363 * 8)},`);
});

test('each call has its own tags and numbers (the prefix and small numbers are reused between calls)', () => {
  const m = otrLike(2000);
  for (const [s, r] of [[0x100, 0x200], [0x100, 0x201], [0xffffffff, 0x200], [0x100, 0x200]] as const) {
    const frags = fragmentMessage(m, 400, 3, s, r);
    const want = `?OTR|${s.toString(16).padStart(8, '0')}|${r.toString(16).padStart(8, '0')},`;
    frags.forEach((f, i) => assert.ok(f.startsWith(`${want}${String(i + 1).padStart(5, '0')},00006,`), f.slice(0, 40)));
  }
  const many = fragmentMessage(otrLike(70 * 200), 200, 2, 0, 0);
  assert.equal(many.length, Math.ceil((70 * 200 + 6) / 181));
  many.forEach((f, i) => assert.ok(f.startsWith(`?OTR,${String(i + 1).padStart(5, '0')},${String(many.length).padStart(5, '0')},`), f.slice(0, 20)));
});

test('v2 fragments have libotr’s exact format (19-byte header budget)', () => {
  const m = otrLike(500);
  const frags = fragmentMessage(m, 200, 2, 0, 0);
  assert.equal(frags.length, Math.ceil(m.length / 181));
  assert.equal(frags[0], `?OTR,00001,00003,${m.slice(0, 181)},`);
  assert.ok(frags.every((f) => f.length <= 199));
});

test('a budget too small for the header is a RangeError', () => {
  assert.throws(() => fragmentMessage(otrLike(100), 37, 3, 1, 2), RangeError);
  assert.throws(() => fragmentMessage(otrLike(100), 19, 2, 0, 0), RangeError);
  assert.equal(fragmentMessage(otrLike(100), 38, 3, 1, 2).length, 106);
});

test('non-ASCII text is split on character boundaries within the byte budget', () => {
  const m = 'héllo wörld ✓ 😀 '.repeat(40);
  const frags = fragmentMessage(m, 60, 2, 0, 0);
  assert.ok(frags.length > 1);
  for (const f of frags) assert.ok(Buffer.byteLength(f) <= 59, f);
  const r = new Reassembler();
  const results = frags.map((f) => r.push(f));
  assert.deepEqual(results.at(-1), { kind: 'complete', message: m });
});

test('parseFragmentHeader reads both formats and rejects bad headers', () => {
  assert.deepEqual(parseFragmentHeader('?OTR|000000ff|00000100,00002,00003,abc,'), {
    version: 3, senderTag: 0xff, receiverTag: 0x100, k: 2, n: 3, piece: 'abc', pieceStart: 35,
  });
  assert.deepEqual(parseFragmentHeader('?OTR,1,2,xyz,'), { version: 2, senderTag: 0, receiverTag: 0, k: 1, n: 2, piece: 'xyz', pieceStart: 9 });
  assert.deepEqual(parseFragmentHeader('prefix ?OTR,2,2,q,'), { version: 2, senderTag: 0, receiverTag: 0, k: 2, n: 2, piece: 'q', pieceStart: 16 });
  for (const bad of [
    '?OTR:AAAA.', 'hello', '?OTR,0,2,x,', '?OTR,3,2,x,', '?OTR,1,0,x,', '?OTR,1,2,,', '?OTR,1,2,x',
    '?OTR,a,2,x,', '?OTR,1,70000,x,', '?OTR|xyz|00000100,1,2,x,', '?OTR|1|2,1,2,x', '?OTR|123456789|1,1,2,x,',
  ]) {
    assert.equal(parseFragmentHeader(bad), undefined, bad);
  }
});

test('in-order reassembly, v3 and v2', () => {
  for (const version of [2, 3] as const) {
    const m = otrLike(2000, version);
    const r = new Reassembler();
    const frags = fragmentMessage(m, 300, version, 0x101, 0x202);
    frags.slice(0, -1).forEach((f) => assert.deepEqual(r.push(f), { kind: 'pending' }));
    assert.deepEqual(r.push(frags.at(-1)!), { kind: 'complete', message: m });
    assert.equal(r.pending, false);
  }
});

test('a line that is not a fragment passes through; an OTR one discards a partial message', () => {
  const r = new Reassembler();
  const frags = fragmentMessage(otrLike(1000), 300, 3, 0x101, 0x202);
  r.push(frags[0]!);
  assert.deepEqual(r.push('just chatting'), { kind: 'complete', message: 'just chatting' });
  assert.equal(r.pending, true);
  assert.deepEqual(r.push('?OTRv3?'), { kind: 'complete', message: '?OTRv3?' });
  assert.equal(r.pending, false);
  for (const f of frags.slice(1)) assert.equal(r.push(f).kind, 'pending');
});

test('bad fragments are dropped and leave a partial message intact', () => {
  const m = otrLike(1000);
  const frags = fragmentMessage(m, 300, 3, 0x101, 0x202);
  const r = new Reassembler();
  r.push(frags[0]!);
  for (const bad of ['?OTR|101|202,0,4,x,', '?OTR|101|202,5,4,x,', '?OTR|101|202,1,0,x,', '?OTR|101|202,1,4,,',
    '?OTR|zz|202,1,4,x,', '?OTR,99999,99999,x,', '?OTR|101|202,1,4,x']) {
    assert.equal(r.push(bad).kind, 'dropped', bad);
  }
  for (const f of frags.slice(1, -1)) assert.equal(r.push(f).kind, 'pending');
  assert.deepEqual(r.push(frags.at(-1)!), { kind: 'complete', message: m });
});

test('duplicates are ignored; a new message replaces an unfinished one (libotr: k=1 restarts)', () => {
  const a = otrLike(1000, 1);
  const b = otrLike(1000, 2);
  const fa = fragmentMessage(a, 300, 3, 0x101, 0x202);
  const fb = fragmentMessage(b, 300, 3, 0x101, 0x202);
  const r = new Reassembler();
  r.push(fa[0]!);
  r.push(fa[1]!);
  assert.deepEqual(r.push(fa[1]!), { kind: 'pending' });
  const results = fb.map((f) => r.push(f));
  assert.deepEqual(results.at(-1), { kind: 'complete', message: b });
  assert.ok(results.slice(0, -1).every((x) => x.kind === 'pending'));
});

test('a fragment from other tags or with another n starts a new message', () => {
  const a = otrLike(1000, 1);
  const r = new Reassembler();
  const fa = fragmentMessage(a, 300, 3, 0x101, 0x202);
  r.push(fa[0]!);
  r.push('?OTR|00000999|00000202,00002,00004,zzz,');
  const rest = fa.slice(1).map((f) => r.push(f));
  assert.ok(rest.every((x) => x.kind === 'pending'), 'first piece was discarded');
});

test('a single-fragment message completes at once', () => {
  assert.deepEqual(new Reassembler().push('?OTR|1|2,00001,00001,?OTR:AAAA.,'), { kind: 'complete', message: '?OTR:AAAA.' });
});

test('the reassembly buffer is capped', () => {
  const r = new Reassembler();
  const piece = 'A'.repeat(1000);
  let dropped = 0;
  for (let k = 1; k <= 200; k++) {
    const res = r.push(`?OTR|1|2,${k},65535,${piece},`);
    if (res.kind === 'dropped') dropped++;
    assert.notEqual(res.kind, 'complete');
  }
  assert.ok(dropped >= 2);
  // Tiny pieces are bounded by the per-piece overhead too.
  const t = new Reassembler();
  let kinds = new Set<string>();
  for (let k = 1; k <= 5000; k++) kinds.add(t.push(`?OTR,${k},65535,x,`).kind);
  assert.ok(kinds.has('dropped'));
  // A message just under the cap still gets through.
  const big = otrLike(DEFAULT_REASSEMBLY_CAP - 4000);
  const frags = fragmentMessage(big, 3000, 3, 1, 2);
  const r2 = new Reassembler();
  assert.deepEqual(frags.map((f) => r2.push(f)).at(-1), { kind: 'complete', message: big });
});

test('property: fragments in any order, with duplicates, reassemble to the original exactly once', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...B64.split('')), minLength: 1, maxLength: 3000 }),
      fc.integer({ min: 38, max: 500 }),
      fc.constantFrom(2 as const, 3 as const),
      fc.integer({ min: 0x100, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.infiniteStream(fc.nat()),
      fc.array(fc.nat(), { maxLength: 10 }),
      (body, budget, version, s, t, order, dups) => {
        const msg = '?OTR:' + body + '.';
        const frags = fragmentMessage(msg, budget, version, s, t);
        for (const f of frags) assert.ok(f.length <= (frags.length > 1 ? budget - 1 : budget));
        // A random permutation, then some duplicates inserted before the last new piece.
        const perm = frags.map((_, i) => i);
        const it = order[Symbol.iterator]();
        for (let i = perm.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        const seq = perm.map((i) => frags[i]!);
        const last = seq.pop()!;
        for (const d of dups) if (seq.length) seq.splice(d % seq.length, 0, seq[d % seq.length]!);
        seq.push(last);
        const r = new Reassembler();
        const results = seq.map((f) => r.push(f));
        const complete = results.filter((x) => x.kind === 'complete');
        assert.equal(complete.length, 1);
        assert.deepEqual(results.at(-1), { kind: 'complete', message: msg });
        assert.equal(r.pending, false);
      },
    ),
    { numRuns: 300 },
  );
});

test('pushNext takes the next in-order fragment in libotr’s header, and nothing else', () => {
  const msg = otrLike(2000);
  const frags = fragmentMessage(msg, 400, 3, 0x1234abcd, 0x102);
  const r = new Reassembler();
  assert.equal(r.pushNext(frags[0]!), undefined, 'nothing is expected before a first fragment');
  assert.deepEqual(r.push(frags[0]!), { kind: 'pending' });
  const other = fragmentMessage(msg, 400, 3, 0x1234abce, 0x102);
  const unpadded = frags[1]!.replace(',00002,00006,', ',2,6,');
  for (const line of [frags[2]!, other[1]!, unpadded, 'x' + frags[1], frags[1]!.toUpperCase(), frags[1]!.slice(0, -1), frags[1]!.replace(',00006,', ',00007,')]) {
    assert.equal(r.pushNext(line), undefined, line.slice(0, 40));
  }
  for (let k = 1; k < frags.length - 1; k++) assert.deepEqual(r.pushNext(frags[k]!), { kind: 'pending' }, `fragment ${k + 1}`);
  assert.deepEqual(r.pushNext(frags.at(-1)!), { kind: 'complete', message: msg });
  assert.equal(r.pending, false);
  assert.equal(r.pushNext(frags[1]!), undefined, 'nothing is expected after the message is whole');
});

test('property: pushNext, with push for the lines it leaves, gives exactly what push alone gives', () => {
  // Lines from fragments of a few messages: in and out of order, duplicated, and variants of their
  // headers that pushNext must leave to the parser (other padding, case, prefix, a missing comma).
  const message = fc.record({
    body: fc.string({ unit: fc.constantFrom(...B64.split('')), minLength: 1, maxLength: 1500, size: 'max' }),
    budget: fc.integer({ min: 38, max: 300 }),
    version: fc.constantFrom(2 as const, 3 as const, 3 as const),
    s: fc.constantFrom(0x100, 0x1234abcd, 0xffffffff),
    t: fc.constantFrom(0, 0x102),
  });
  const variant = fc.constantFrom('same', 'same', 'same', 'unpadded', 'upper', 'prefix', 'nocomma', 'piececomma');
  const vary = (f: string, v: string): string => {
    switch (v) {
      case 'unpadded': return f.replace(/,0+(\d+),0+(\d+),/, ',$1,$2,');
      case 'upper': return f.replace(/^\?OTR\|([0-9a-f]+)/, (_, x: string) => `?OTR|${x.toUpperCase()}`);
      case 'prefix': return 'x' + f;
      case 'nocomma': return f.slice(0, -1);
      case 'piececomma': return f.slice(0, 40) + ',' + f.slice(41);
      default: return f;
    }
  };
  let takenInAll = 0;
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), variant, fc.boolean()), { minLength: 1, maxLength: 80, size: 'max' }),
      fc.constantFrom(DEFAULT_REASSEMBLY_CAP, 1500),
      (messages, picks, cap) => {
        const all = messages.map((m) => fragmentMessage(`?OTR:${m.body}.`, m.budget, m.version, m.s, m.t));
        // Mostly runs of consecutive fragments of one message (the common case), sometimes a jump.
        let cur = 0;
        let k = 0;
        const lines: string[] = [];
        for (const [a, b, v, jump] of picks) {
          if (jump) {
            cur = a % all.length;
            k = b % all[cur]!.length;
          }
          const frags = all[cur]!;
          lines.push(vary(frags[k % frags.length]!, v));
          k++;
        }
        const plain = new Reassembler(cap);
        const fast = new Reassembler(cap);
        let taken = 0;
        for (const line of lines) {
          const want = plain.push(line);
          const next = fast.pushNext(line);
          if (next) taken++;
          assert.deepEqual(next ?? fast.push(line), want, line.slice(0, 40));
          assert.equal(fast.pending, plain.pending);
          assert.equal(fast.bufferedBytes, plain.bufferedBytes);
        }
        takenInAll += taken;
      },
    ),
    { numRuns: 400 },
  );
  assert.ok(takenInAll > 100, `pushNext took only ${takenInAll} lines`);
});

test('property: arbitrary lines never throw and the buffer stays under its cap', () => {
  const fragmentish = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.tuple(fc.constantFrom('?OTR|', '?OTR,', 'x?OTR|'), fc.string({ maxLength: 60 })).map(([a, b]) => a + b),
    fc.tuple(fc.integer({ min: -2, max: 70000 }), fc.integer({ min: -2, max: 70000 }), fc.string({ maxLength: 30 }))
      .map(([k, n, p]) => `?OTR|1|2,${k},${n},${p},`),
    fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.string({ maxLength: 30 }))
      .map(([k, n, p]) => `?OTR,${k},${n},${p},`),
  );
  fc.assert(
    fc.property(fc.array(fragmentish, { maxLength: 60 }), (lines) => {
      const r = new Reassembler(4096);
      for (const line of lines) {
        const res = r.push(line);
        if (res.kind === 'complete') assert.equal(typeof res.message, 'string');
        assert.ok(r.bufferedBytes <= 4096);
      }
    }),
    { numRuns: 500 },
  );
});

/** The header grammar as regular expressions (the parser reads it by hand for speed). */
function referenceParse(line: string) {
  const V3 = /\?OTR\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),(\d{1,5}),(\d{1,5}),([^,]+),/y;
  const V2 = /\?OTR,(\d{1,5}),(\d{1,5}),([^,]+),/y;
  let at = line.indexOf('?OTR|');
  if (at >= 0) {
    V3.lastIndex = at;
    const m = V3.exec(line);
    if (!m) return undefined;
    const pieceStart = V3.lastIndex - m[5]!.length - 1;
    return { version: 3, senderTag: parseInt(m[1]!, 16), receiverTag: parseInt(m[2]!, 16), k: Number(m[3]), n: Number(m[4]), piece: m[5]!, pieceStart };
  }
  at = line.indexOf('?OTR,');
  if (at < 0) return undefined;
  V2.lastIndex = at;
  const m = V2.exec(line);
  return m ? { version: 2, senderTag: 0, receiverTag: 0, k: Number(m[1]), n: Number(m[2]), piece: m[3]!, pieceStart: V2.lastIndex - m[3]!.length - 1 } : undefined;
}

test('property: the header parser accepts exactly what the header grammar describes', () => {
  const chars = fc.constantFrom(...'0123456789aAfFgG|,?OTR: .\n'.split(''));
  const tail = fc.array(chars, { maxLength: 40 }).map((a) => a.join(''));
  const hexa = fc.array(fc.constantFrom(...'0123456789abcdefABCDEFg'.split('')), { maxLength: 10 }).map((a) => a.join(''));
  const line = fc.oneof(
    fc.tuple(fc.constantFrom('?OTR|', '?OTR,', 'x?OTR|', 'ab ?OTR,', '?OTR|?OTR,'), tail).map(([a, b]) => a + b),
    fc.tuple(hexa, hexa, fc.nat(120000), fc.nat(120000), fc.string({ maxLength: 20 }))
      .map(([s, r, k, n, p]) => `?OTR|${s}|${r},${String(k).padStart(5, '0')},${n},${p},`),
    fc.tuple(fc.nat(99999), fc.nat(99999), fc.string({ maxLength: 20 }), fc.string({ maxLength: 5 })).map(([k, n, p, x]) => `${x}?OTR,${k},${n},${p},${x}`),
  );
  fc.assert(
    fc.property(line, (l) => {
      const ref = referenceParse(l);
      const want = ref && ref.k >= 1 && ref.n >= 1 && ref.k <= ref.n && ref.k <= 65535 && ref.n <= 65535 ? ref : undefined;
      assert.deepEqual(parseFragmentHeader(l), want, JSON.stringify(l));
    }),
    { numRuns: 3000 },
  );
});
