// Socialist millionaires' protocol between alice (through the bouncer) and real libotr, both ways,
// with and without a question, wrong secret, abort from either side.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, otr, otrSays, otrText, type World } from './world.ts';

let w: World;
before(async () => {
  w = await startWorld();
  w.alice.send('PRIVMSG bob :?OTR?');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
});
after(async () => {
  await w?.stop();
});

async function trustShown(): Promise<string> {
  w.alice.mark();
  const from = w.alice.lines.length;
  otr(w, 'info');
  await w.alice.sync();
  const row = w.alice.lines.slice(from).map(otrText).find((t) => t?.startsWith('| bob '));
  return row!.split('|')[5]!.trim();
}

test('alice asks (auth), bob answers with the same secret: both succeed, trust becomes shared secret', async () => {
  w.alice.mark();
  otr(w, 'auth bob the old man and the sea');
  await otrSays(w, /^\[bob\] Initiated authentication\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_SECRET');
  await w.bob.otr.smpRespond('alice', 'the old man and the sea');
  await otrSays(w, /^\[bob\] Peer replied to authentication request\.$/);
  await otrSays(w, /^\[bob\] Successfully authenticated\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'SUCCESS');
  assert.equal(await trustShown(), 'shared secret');
});

test('bob asks with a question: alice sees it and answers with auth', async () => {
  w.alice.mark();
  await w.bob.otr.smpStart('alice', 'blue', 'What colour is the sky?');
  await otrSays(w, /^\[bob\] bob wants to authenticate\. To complete, answer the following question:$/);
  await otrSays(w, /^\[bob\] What colour is the sky\?$/);
  await otrSays(w, /^\[bob\] Answer by typing \x02auth bob <answer>\x02\.$/);
  otr(w, 'authq bob [another question] x');
  await otrSays(w, /^\[bob\] bob asked to authenticate\. Answer with \x02auth bob <secret>\x02, or type \x02authabort bob\x02\. Usage: authq <nick> <\[question\]> <secret>$/);
  otr(w, 'auth bob blue');
  await otrSays(w, /^\[bob\] Responded to authentication\.$/);
  await otrSays(w, /^\[bob\] Successfully authenticated\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'SUCCESS');
});

test('bob asks without a question: alice is told how to answer', async () => {
  w.alice.mark();
  await w.bob.otr.smpStart('alice', 'tea');
  await otrSays(w, /^\[bob\] bob wants to authenticate\. To complete, type \x02auth bob <secret>\x02\.$/);
  otr(w, 'auth bob tea');
  await otrSays(w, /^\[bob\] Successfully authenticated\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'SUCCESS');
});

test('wrong secret: both fail; the lost trust is said, not silent (B7)', async () => {
  otr(w, 'trust bob');
  w.alice.mark();
  otr(w, 'authq bob [Favourite book?] the old man and the sea');
  await otrSays(w, /^\[bob\] Initiated authentication\.$/);
  const ask = await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_ANSWER');
  assert.equal(ask.question, 'Favourite book?');
  await w.bob.otr.smpRespond('alice', 'moby dick');
  await otrSays(w, /^\[bob\] Authentication failed: the secrets did not match\.$/);
  await otrSays(w, /^\[bob\] Fingerprint [0-9A-F ]{44} is no longer trusted; verify it again before trusting it\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'FAILURE');
  assert.equal(await trustShown(), 'not trusted');
});

test('abort from either side; an aborted request is no longer pending (B7)', async () => {
  w.alice.mark();
  otr(w, 'auth bob secret');
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_SECRET');
  await w.bob.otr.smpAbort('alice');
  await otrSays(w, /^\[bob\] Peer aborted the authentication\.$/);
  // bob asks, then aborts: alice's next auth starts a new request instead of answering the stale one.
  await w.bob.otr.smpStart('alice', 'x');
  await otrSays(w, /wants to authenticate/);
  await w.bob.otr.smpAbort('alice');
  await otrSays(w, /^\[bob\] Peer aborted the authentication\.$/);
  otr(w, 'auth bob y');
  await otrSays(w, /^\[bob\] Initiated authentication\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_SECRET');
  otr(w, 'authabort bob');
  await otrSays(w, /^\[bob\] Authentication aborted\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ABORT');
  otr(w, 'authabort bob');
  await otrSays(w, /^\[bob\] No authentication in progress\. Usage: authabort <nick>$/);
});

test('alice asks with a question in square brackets (authq), bob answers right: both succeed', async () => {
  w.alice.mark();
  otr(w, 'authq bob [Where did we meet?] at the harbour');
  await otrSays(w, /^\[bob\] Initiated authentication\.$/);
  const ask = await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_ANSWER');
  assert.equal(ask.question, 'Where did we meet?', 'the question without its brackets');
  await w.bob.otr.smpRespond('alice', 'at the harbour');
  await otrSays(w, /^\[bob\] Peer replied to authentication request\.$/);
  await otrSays(w, /^\[bob\] Successfully authenticated\.$/);
  await otrSays(w, /^\[bob\] Fingerprint [0-9A-F ]{44} is now trusted \(shared secret\)\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'SUCCESS');
  assert.equal(await trustShown(), 'shared secret');
});

test('bob asks, alice answers with a wrong secret: both fail; the trust drops only where libotr drops it, and that is said', async () => {
  assert.equal(await trustShown(), 'shared secret');
  // With a question, only bob (the asker) learns something about alice: like libotr, alice's trust in
  // bob stays as it was.
  w.alice.mark();
  await w.bob.otr.smpStart('alice', 'the right one', 'Which one?');
  await otrSays(w, /^\[bob\] bob wants to authenticate\. To complete, answer the following question:$/);
  await otrSays(w, /^\[bob\] Which one\?$/);
  otr(w, 'auth bob the wrong one');
  await otrSays(w, /^\[bob\] Responded to authentication\.$/);
  await otrSays(w, /^\[bob\] Authentication failed: the secrets did not match\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'FAILURE');
  assert.equal(await trustShown(), 'shared secret');
  // Without a question, the failure drops alice's trust in bob (libotr), and she is told (B7).
  const from = w.alice.lines.length;
  w.alice.mark();
  await w.bob.otr.smpStart('alice', 'the right one');
  await otrSays(w, /^\[bob\] bob wants to authenticate\. To complete, type \x02auth bob <secret>\x02\.$/);
  otr(w, 'auth bob the wrong one');
  await otrSays(w, /^\[bob\] Responded to authentication\.$/);
  await otrSays(w, /^\[bob\] Authentication failed: the secrets did not match\.$/);
  await otrSays(w, /^\[bob\] Fingerprint [0-9A-F ]{44} is no longer trusted; verify it again before trusting it\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'FAILURE');
  assert.equal(w.alice.find((l) => /Successfully authenticated/.test(otrText(l) ?? ''), from), undefined);
  assert.equal(await trustShown(), 'not trusted');
  // Failing again with nothing left to lose: no claim that trust was dropped.
  const again = w.alice.lines.length;
  await w.bob.otr.smpStart('alice', 'the right one');
  await otrSays(w, /^\[bob\] bob wants to authenticate\. To complete, type \x02auth bob <secret>\x02\.$/);
  otr(w, 'auth bob the wrong one');
  await otrSays(w, /^\[bob\] Authentication failed: the secrets did not match\.$/);
  await w.bob.otr.nextEv('smp_event', (e) => e.event === 'FAILURE');
  assert.equal(await trustShown(), 'not trusted');
  assert.equal(w.alice.find((l) => /no longer trusted/.test(otrText(l) ?? ''), again), undefined);
});
