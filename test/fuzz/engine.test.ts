// CI-sized run of the state-by-state engine fuzzer (engine.ts); engine-run.ts runs it with 1,000,000 cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EngineFuzzer, FuzzFailure, STATES, buildFixture, caseArb, deliverChecked, fuzzKeys } from './engine.ts';

test('engine fuzz: random and mutated lines in every session state', async () => {
  const fz = await EngineFuzzer.create();
  // Fixtures are stateful, so shrinking would not replay a failure: stop at the first one and report it.
  fc.assert(fc.property(caseArb, (c) => fz.run(c)), { numRuns: 3000, endOnFailure: true });
  assert.equal(fz.cases, 3000);
  assert.ok(fz.lines >= fz.cases);
});

test('every fixture state is what it claims to be', async () => {
  const keys = await fuzzKeys();
  const expected: Record<(typeof STATES)[number], string> = {
    plaintext: 'plaintext', query_sent: 'plaintext', await_dh_key: 'plaintext', await_reveal_sig: 'plaintext',
    await_sig: 'plaintext', encrypted_v3: 'encrypted', encrypted_v2: 'encrypted', smp_asked: 'encrypted',
    smp_expect2: 'encrypted', finished: 'finished', require_queued: 'plaintext',
  };
  for (const state of STATES) {
    const f = buildFixture(state, keys);
    assert.equal(f.alice.session.state, expected[state], state);
    if (state === 'encrypted_v2') assert.equal(f.alice.session.version, 2);
    if (state === 'encrypted_v3') assert.equal(f.alice.session.version, 3);
    if (state === 'smp_asked') assert.deepEqual(f.alice.session.smpPending, { question: 'question?' });
    if (state === 'smp_expect2') assert.equal(f.alice.session.smpInProgress, true);
    if (state === 'require_queued') assert.equal(f.alice.session.queuedCount, 1);
  }
});

test('the invariant checker catches an unauthenticated "encrypted" result and a thrown error', async () => {
  const f = buildFixture('encrypted_v3', await fuzzKeys());
  const real = f.alice.session.receive.bind(f.alice.session);
  f.alice.session.receive = () => ({ kind: 'message', text: 'forged', encrypted: true });
  assert.throws(() => deliverChecked(f, 'x'), FuzzFailure);
  f.alice.session.receive = () => {
    throw new TypeError('boom');
  };
  assert.throws(() => deliverChecked(f, 'x'), FuzzFailure);
  f.alice.session.receive = real;
  deliverChecked(f, '?OTR:AAMDgarbage.');
});
