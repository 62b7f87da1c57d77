// Fuzz: random and mutated SMP TLVs thrown at an Smp in every state. Nothing throws, a changed message
// never yields an outcome (success/failure), and after any error the state is reset with an abort reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Smp, TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP_ABORT } from '../../src/otr/smp.ts';
import type { Tlv } from '../../src/otr/api.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const fpA = new Uint8Array(20).fill(3);
const fpB = new Uint8Array(20).fill(4);
const ssid = new Uint8Array(8).fill(5);

type Stage = 'idle' | 'sent1' | 'asked' | 'sent2' | 'sent3' | 'done';

/** One genuine exchange, recorded: every TLV, and a fresh party can be brought to any stage. */
function transcript() {
  const a = new Smp();
  const b = new Smp();
  const t1 = a.start(enc('x'), fpA, fpB, ssid, 'q?');
  b.handle(t1);
  const t2 = b.respond(enc('x'), fpB, fpA, ssid);
  const t3 = a.handle(t2).reply!;
  const t4 = b.handle(t3).reply!;
  return { t1, t2, t3, t4 };
}

function partyAt(stage: Stage, t: ReturnType<typeof transcript>): Smp {
  const smp = new Smp();
  switch (stage) {
    case 'idle':
      return smp;
    case 'done':
      return smp;
    case 'asked':
      smp.handle(t.t1);
      return smp;
    case 'sent1': {
      // A fresh initiator: the recorded SMP2 belongs to another exchange, so it must be rejected anyway.
      smp.start(enc('x'), fpA, fpB, ssid);
      return smp;
    }
    case 'sent2': {
      smp.handle(t.t1);
      smp.respond(enc('x'), fpB, fpA, ssid);
      return smp;
    }
    case 'sent3': {
      const b = new Smp();
      b.handle(smp.start(enc('x'), fpA, fpB, ssid));
      smp.handle(b.respond(enc('x'), fpB, fpA, ssid));
      return smp;
    }
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 600 }) }),
  fc.record({ kind: fc.constant('retype' as const), type: fc.integer({ min: 2, max: 7 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(tlv: Tlv, m: Mutation): Tlv {
  const v = Uint8Array.from(tlv.value);
  switch (m.kind) {
    case 'flip':
      if (v.length) v[m.at % v.length]! ^= 1 << m.bit;
      return { type: tlv.type, value: v };
    case 'truncate':
      return { type: tlv.type, value: v.subarray(0, v.length ? m.at % v.length : 0) };
    case 'append':
      return { type: tlv.type, value: Uint8Array.of(...v, ...m.bytes) };
    case 'count': {
      const off = tlv.type === TLV_SMP1Q ? v.indexOf(0) + 1 : 0;
      new DataView(v.buffer).setUint32(off, m.count);
      return { type: tlv.type, value: v };
    }
    case 'random':
      return { type: tlv.type, value: m.bytes };
    case 'retype':
      return { type: m.type, value: v };
  }
}

test('fuzz: mutated and random SMP TLVs in every state never throw nor produce an outcome', () => {
  const t = transcript();
  const genuine = [t.t1, t.t2, t.t3, t.t4, { type: TLV_SMP1, value: t.t1.value.subarray(t.t1.value.indexOf(0) + 1) }];
  fc.assert(
    fc.property(
      fc.constantFrom<Stage>('idle', 'sent1', 'asked', 'sent2', 'sent3', 'done'),
      fc.constantFrom(...genuine.keys()),
      mutation,
      (stage, which, m) => {
        const smp = partyAt(stage, t);
        const original = genuine[which]!;
        const tlv = mutate(original, m);
        const same = tlv.type === original.type && Buffer.from(tlv.value).equals(Buffer.from(original.value));
        const res = smp.handle(tlv);
        const types = res.events.map((e) => e.type);
        if (!same) {
          assert.ok(!types.includes('smp_success') && !types.includes('smp_failure'), `${stage} ${m.kind}: ${types}`);
        }
        if (types.includes('smp_error') || types.includes('smp_cheated')) {
          assert.equal(res.reply?.type, TLV_SMP_ABORT);
          assert.equal(smp.inProgress, false);
          assert.equal(smp.awaitingSecret, false);
        }
        if (types.includes('smp_asked')) assert.equal(smp.awaitingSecret, true);
        // Whatever happened, the party can still run a clean exchange.
        smp.reset();
      },
    ),
    { numRuns: 200 },
  );
});

test('fuzz: arbitrary TLV sequences keep the state machine consistent', () => {
  const t = transcript();
  const pool: Tlv[] = [t.t1, t.t2, t.t3, t.t4, { type: TLV_SMP_ABORT, value: new Uint8Array(0) }, { type: TLV_SMP2, value: new Uint8Array(2) }];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pool.keys()), { maxLength: 8 }), (seq) => {
      const smp = new Smp();
      for (const i of seq) {
        const res = smp.handle(pool[i]!);
        for (const e of res.events) {
          if (e.type === 'smp_asked') assert.ok(smp.awaitingSecret);
          if (e.type === 'smp_aborted' || e.type === 'smp_error' || e.type === 'smp_cheated') assert.ok(!smp.inProgress);
        }
        // Only SMP1(Q) can ever be accepted by a party that never sent anything.
        assert.ok(!res.events.some((e) => e.type === 'smp_success' || e.type === 'smp_failure'));
      }
    }),
    { numRuns: 200 },
  );
});
