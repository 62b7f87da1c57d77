// The module's glue with the real engine and real files, two instances over an in-memory network.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pair, makeWorld, makeSide, generateDsaKey, type Side, type World } from './testing/linked-modules.ts';
import { fingerprint, formatFingerprint, type DsaPrivateKey } from '../../src/otr/dsa.ts';
import { privmsgTextBudget } from './budget.ts';


let KA: DsaPrivateKey;
let KB: DsaPrivateKey;
before(async () => {
  [KA, KB] = await Promise.all([generateDsaKey(), generateDsaKey()]);
});

async function secure(world: World, alice: Side, bob: Side): Promise<void> {
  alice.cmd('start bob');
  await world.reply(alice, /^\[bob\] Gone \x02SECURE\x02/);
  await world.reply(bob, /^\[alice\] Gone \x02SECURE\x02/);
}

const sees = (side: Side, text: string, kind = 'privmsg') => (m: { text: string; kind: string }) => m.text === text && m.kind === kind;

test('start, messages both ways, /me, a 2000-byte message, no plaintext on the wire', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    assert.ok(alice.replies.some((r) => r.includes('Peer is not authenticated')));
    alice.say('bob', 'canary-one hello bob');
    await world.seen(bob, sees(bob, 'canary-one hello bob'), 'hello');
    bob.say('alice', 'waves', 'action');
    await world.seen(alice, sees(alice, 'waves', 'action'), 'action');
    const big = 'canary-big ' + 'x'.repeat(1989);
    alice.say('bob', big);
    // Decrypted, it reaches bob's clients in 512-byte lines that together are the message.
    const from = bob.seen.length;
    await world.waitFor(() => bob.seen.slice(from).map((m) => m.text).join('') === big, 'big in pieces');
    assert.ok(bob.seen.length - from >= 4);
    const budget = privmsgTextBudget({ nick: 'alice', ident: 'alice', hostname: 'host' }, 'alice', 'bob');
    const frags = world.wire.filter((w) => w.from === 'alice' && w.text.startsWith('?OTR|'));
    assert.ok(frags.length >= 6, `fragments: ${frags.length}`);
    for (const w of world.wire) {
      assert.doesNotMatch(w.text, /canary/);
      if (w.from === 'alice') assert.ok(Buffer.byteLength(w.text) <= budget);
    }
    assert.ok(world.wire.every((w) => w.kind === 'privmsg'));
  } finally {
    await world.close();
  }
});

test('info, trust and distrust by nick and by fingerprint', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    const n = alice.replies.length;
    alice.cmd('info');
    const lines = alice.repliesFrom(n);
    const fpB = formatFingerprint(fingerprint(KB));
    assert.equal(lines[1], '| Peer | State     | Fingerprint                                  | Act | Trust       |');
    assert.equal(lines[3], `| bob  | encrypted | ${fpB} |  *  | not trusted |`);
    assert.equal(lines.at(-1), `Your fingerprint: ${formatFingerprint(fingerprint(KA))}.`);
    alice.cmd('trust BOB');
    assert.equal(alice.replies.at(-1), `[bob] Fingerprint ${fpB} trusted!`);
    alice.cmd('trust bob');
    assert.equal(alice.replies.at(-1), `[bob] Fingerprint ${fpB} is already trusted.`);
    alice.cmd(`distrust ${fpB.toLowerCase()}`);
    assert.equal(alice.replies.at(-1), `[bob] Fingerprint ${fpB} distrusted!`);
    alice.cmd(`distrust ${fpB.replace(/ /g, '')}`);
    assert.equal(alice.replies.at(-1), `[bob] Fingerprint ${fpB} was not trusted.`);
    alice.cmd('trust zed');
    assert.match(alice.replies.at(-1)!, /No known fingerprint or OTR conversation for "zed"/);
    alice.cmd(`trust ${formatFingerprint(fingerprint(KA))}`);
    assert.match(alice.replies.at(-1)!, /your own fingerprint/);
    alice.cmd('trust');
    assert.equal(alice.replies.at(-1), 'No nick given. Usage: trust <nick|fingerprint>');
    // Files: 0600, fingerprint recorded with the trust.
    await alice.glue.flushWrites();
    const fp = await readFile(join(alice.storageDir, 'otr.fp'), 'utf8');
    assert.match(fp, new RegExp(`^bob\\talice\\tirc\\t${fingerprint(KB).toLowerCase()}\\t`, 'm'));
    for (const f of await readdir(alice.storageDir)) assert.equal((await stat(join(alice.storageDir, f))).mode & 0o777, 0o600, f);
  } finally {
    await world.close();
  }
});

test('SMP: auth both sides, authq with a question, wrong secret, abort', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    let a = alice.replies.length;
    let b = bob.replies.length;
    alice.cmd('auth bob the old man and the sea');
    assert.equal(alice.replies.at(-1), '[bob] Initiated authentication.');
    await world.reply(bob, /^\[alice\] alice wants to authenticate\. To complete, type \x02auth alice <secret>\x02\.$/, b);
    bob.cmd('auth alice the old man and the sea');
    assert.equal(bob.replies.at(-1), '[alice] Responded to authentication.');
    await world.reply(alice, /^\[bob\] Peer replied to authentication request\.$/, a);
    await world.reply(alice, /^\[bob\] Successfully authenticated\.$/, a);
    await world.reply(bob, /^\[alice\] Successfully authenticated\.$/, b);
    const n = alice.replies.length;
    alice.cmd('info');
    assert.ok(alice.repliesFrom(n).some((l) => l.includes('shared secret')));

    a = alice.replies.length;
    b = bob.replies.length;
    bob.cmd('authq alice [What is my favorite book (no caps)?] the old man and the sea');
    await world.reply(alice, /answer the following question:$/, a);
    await world.reply(alice, /^\[bob\] What is my favorite book \(no caps\)\?$/, a);
    await world.reply(alice, /^\[bob\] Answer by typing \x02auth bob <answer>\x02\.$/, a);
    alice.cmd('authq bob [x] y');
    assert.match(alice.replies.at(-1)!, /bob asked to authenticate/);
    alice.cmd('auth bob the wrong book');
    await world.reply(alice, /Authentication failed: the secrets did not match\.$/, a);
    await world.reply(bob, /Authentication failed: the secrets did not match\.$/, b);

    a = alice.replies.length;
    b = bob.replies.length;
    alice.cmd('authabort bob');
    assert.equal(alice.replies.at(-1), '[bob] No authentication in progress. Usage: authabort <nick>');
    alice.cmd('auth bob secret');
    await world.reply(bob, /wants to authenticate/, b);
    bob.cmd('authabort alice');
    assert.equal(bob.replies.at(-1), '[alice] Authentication aborted.');
    await world.reply(alice, /^\[bob\] Peer aborted the authentication\.$/, a);
    bob.cmd('auth alice secret');
    assert.equal(bob.replies.at(-1), '[alice] Initiated authentication.', 'the aborted request is no longer pending (B7)');
    bob.cmd('authabort alice');
    alice.cmd('auth zed s');
    assert.match(alice.replies.at(-1)!, /^\[zed\] Not in an encrypted conversation with zed\./);
    alice.cmd('auth bob');
    assert.equal(alice.replies.at(-1), 'No secret given. Usage: auth <nick> <secret>');
    alice.cmd('authq bob what? x');
    assert.equal(alice.replies.at(-1), 'No question found. Did you enclose it in square brackets? Usage: authq <nick> <[question]> <secret>');
  } finally {
    await world.close();
  }
});

test('finish from one side: the other side refuses to send until finish or start', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    const b = bob.replies.length;
    alice.cmd('finish bob');
    assert.equal(alice.replies.at(-2), '[bob] Conversation finished.');
    await world.reply(bob, /^\[alice\] alice has finished the conversation\./, b);
    const wireBefore = world.wire.length;
    bob.say('alice', 'canary-refused');
    assert.match(bob.replies.at(-1)!, /^\[alice\] Message not sent: alice has ended the private conversation\./);
    assert.equal(world.wire.length, wireBefore);
    alice.cmd('finish bob');
    assert.equal(alice.replies.at(-1), '[bob] No OTR conversation with bob; nothing to finish. Usage: finish <nick>', 'B6: no false claim');
    bob.cmd('finish alice');
    bob.say('alice', 'plain now');
    await world.seen(alice, (m) => m.text === 'plain now', 'plain');
  } finally {
    await world.close();
  }
});

test('peer quit and nick change end the session; nothing falls back to plaintext silently', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    alice.glue.onPeerQuit({ nick: 'bob', ident: 'bob', hostname: 'host', message: 'bye' });
    assert.equal(alice.replies.at(-1), '[bob] OTR session with bob ended (peer quit).');
    const w = world.wire.length;
    alice.say('bob', 'canary-after-quit');
    assert.match(alice.replies.at(-1)!, /Message not sent: the encrypted conversation with bob ended \(peer quit\)/);
    assert.equal(world.wire.length, w);
    alice.say('bob', 'me too', 'action');
    assert.equal(world.wire.length, w);
    alice.say('bob', 'a notice', 'notice');
    assert.equal(world.wire.length, w);
    // start again: a new session comes up and the waiting message goes encrypted.
    alice.cmd('start bob');
    alice.say('bob', 'canary-queued');
    await world.seen(bob, (m) => m.text === 'canary-queued', 'queued message');
    assert.ok(world.wire.every((l) => !l.text.includes('canary')));

    // nick change of the peer
    bob.nick = 'robert';
    alice.glue.onNickChange({ oldNick: 'bob', newNick: 'robert', own: false });
    assert.match(alice.replies.at(-2)!, /OTR session with bob ended \(nick change\)/);
    const w2 = world.wire.length;
    alice.say('robert', 'canary-nick');
    alice.say('bob', 'canary-nick');
    assert.equal(world.wire.filter((l) => l.text.includes('canary')).length, 0);
    assert.ok(world.wire.length >= w2);
  } finally {
    await world.close();
  }
});

test('ignore and enable lists with wildcards; ignored nicks are untouched but never shown ciphertext', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    alice.cmd('ignore');
    assert.equal(alice.replies.at(-1), 'The OTR ignore list is empty.');
    alice.cmd('enable');
    assert.deepEqual(alice.replies.slice(-2), ['OTR is enabled for these nicks:', '*']);
    alice.cmd('Ignore B*');
    assert.equal(alice.replies.at(-1), 'Added \x02B*\x02 to the OTR ignore list.', 'B2: Ignore edits the ignore list');
    alice.cmd('ignore b*');
    assert.equal(alice.replies.at(-1), '\x02b*\x02 is already on the OTR ignore list.');
    alice.cmd('enable');
    assert.equal(alice.replies.at(-1), '*');
    alice.cmd('start bob');
    assert.match(alice.replies.at(-1)!, /OTR is disabled for bob \(ignore list: B\*\)/);
    const w = world.wire.length;
    alice.say('bob', 'plain to an ignored nick');
    assert.equal(world.wire.at(-1)!.text, 'plain to an ignored nick', 'no whitespace tag');
    assert.ok(world.wire.length === w + 1);
    // Bob talks OTR anyway: alice's client never sees ciphertext (B8).
    bob.cmd('start alice');
    await world.waitFor(() => world.wire.some((l) => l.from === 'bob' && l.text.startsWith('?OTRv')), 'query');
    await world.seen(alice, (m) => m.text.startsWith('?OTRv'), 'the query text');
    await alice.glue.flushWrites();
    const settings = JSON.parse(await readFile(join(alice.storageDir, 'settings.json'), 'utf8'));
    assert.deepEqual(settings.ignore, ['B*']);
    alice.cmd('ignore --remove B*');
    assert.equal(alice.replies.at(-1), 'Removed \x02B*\x02 from the OTR ignore list.');
    alice.cmd('ignore --remove B*');
    assert.equal(alice.replies.at(-1), '\x02B*\x02 is not on the OTR ignore list.');
    alice.cmd('enable --remove *');
    alice.cmd('enable bo?');
    alice.cmd('enable');
    assert.deepEqual(alice.replies.slice(-2), ['OTR is enabled for these nicks:', 'bo?']);
    await secure(world, alice, bob);
    // Ignoring a nick with a live session finishes it first (B8: no plaintext into a live session).
    alice.cmd('ignore bob');
    assert.match(alice.replies.at(-1)!, /OTR is now disabled for bob: the encrypted conversation was finished/);
    await world.reply(bob, /alice has finished the conversation/);
    assert.ok(alice.seen.every((m) => !/^\?OTR[:|,]/.test(m.text)), 'no ciphertext shown');
  } finally {
    await world.close();
  }
});

test('no key: the first query generates one while lines wait, and the AKE completes (B4)', async () => {
  const { world, alice, bob } = await pair({ bob: KB });
  try {
    assert.ok(alice.replies.some((r) => r.startsWith('No private key yet.')));
    assert.ok(alice.replies.some((r) => r.startsWith('\x0304WARNING:\x03 ')));
    alice.cmd('info');
    assert.match(alice.replies.at(-1)!, /^Your fingerprint: none yet/);
    bob.cmd('start alice');
    await world.reply(alice, /^Key generation finished\./);
    await world.reply(alice, /^\[bob\] Gone \x02SECURE\x02/);
    await world.reply(bob, /^\[alice\] Gone \x02SECURE\x02/);
    alice.cmd('genkey');
    assert.match(alice.replies.at(-1)!, /^You already have a private key \(.*\)\. Type \x02genkey --overwrite\x02 to replace it\.$/);
    alice.cmd('genkey --really');
    assert.equal(alice.replies.at(-1), 'Unknown option --really. Usage: genkey [--overwrite]');
    await alice.glue.flushWrites();
    const old = await readFile(join(alice.storageDir, 'otr.key'), 'utf8');
    alice.cmd('genkey --overwrite');
    alice.cmd('genkey --overwrite');
    assert.equal(alice.replies.at(-1), 'Key generation is already running.');
    // Traffic flows while the key is generated.
    alice.say('bob', 'during keygen');
    await world.seen(bob, (m) => m.text === 'during keygen', 'message during keygen');
    const n = alice.replies.length;
    await world.reply(alice, /^Key generation finished\./, n - 3);
    // "finished" is said once the key file is written: no flush needed to see the new key.
    assert.notEqual(await readFile(join(alice.storageDir, 'otr.key'), 'utf8'), old);
    bob.say('alice', 'still encrypted');
    await world.seen(alice, (m) => m.text === 'still encrypted', 'old session still works');
  } finally {
    await world.close();
  }
});

test('wrong use of every command gets one line and the synopsis', async () => {
  const { world, alice } = await pair({ alice: KA, bob: KB });
  try {
    const cases: [string, RegExp][] = [
      ['finish', /^No nick given\. Usage: finish <nick>$/],
      ['finish a b', /^Too many arguments\. Usage: finish <nick>$/],
      ['finish #chan', /^#chan is a channel; OTR works only in private conversations\. Usage: finish <nick>$/],
      ['start', /^No nick given\. Usage: start <nick>$/],
      ['auth', /^No nick given\. Usage: auth <nick> <secret>$/],
      ['authq bob [q', /^Closing bracket missing for the question\. Usage: authq <nick> <\[question\]> <secret>$/],
      ['authq bob [q]', /^No secret given\. Usage: authq/],
      ['authabort', /^No nick given\. Usage: authabort <nick>$/],
      ['authabort bob', /^\[bob\] Not in an encrypted conversation with bob\./],
      ['distrust', /^No nick given\. Usage: distrust <nick\|fingerprint>$/],
      ['ignore --remove', /^No nick given\. Usage: ignore \[--remove\] \[nick\]$/],
      ['enable a b', /^Too many arguments\. Usage: enable \[--remove\] \[nick\]$/],
      ['info x', /^Too many arguments\. Usage: info$/],
      ['ignore a\x01', /^"a\ufffd" is not a valid nick pattern \(at most 100 characters; no spaces, commas or control characters\)\. Usage: ignore \[--remove\] \[nick\]$/],
      ['enable a,b', /^"a,b" is not a valid nick pattern \(.*\)\. Usage: enable \[--remove\] \[nick\]$/],
      ['ignore --remove a,b', /^"a,b" is not a valid nick pattern \(.*\)\. Usage: ignore \[--remove\] \[nick\]$/],
      [`enable ${'x'.repeat(101)}`, /^"x{37}\.\.\." is not a valid nick pattern \(.*\)\. Usage: enable \[--remove\] \[nick\]$/],
    ];
    for (const [line, re] of cases) {
      const n = alice.replies.length;
      alice.cmd(line);
      assert.equal(alice.replies.length - n, 1, `${line}: ${JSON.stringify(alice.repliesFrom(n))}`);
      assert.match(alice.replies.at(-1)!, re, line);
    }
  } finally {
    await world.close();
  }
});

test('a plain message carries the whitespace tag, and the tag starts the AKE on the other side', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    alice.say('bob', 'hi bob');
    assert.match(world.wire.at(-1)!.text, /^hi bob \x09  \x09\x09\x09\x09 \x09 \x09 \x09  /);
    await world.seen(bob, (m) => m.text === 'hi bob', 'the text without its tag');
    await world.reply(bob, /^\[alice\] Gone \x02SECURE\x02/);
    await world.reply(alice, /^\[bob\] Gone \x02SECURE\x02/);
  } finally {
    await world.close();
  }
});

test('policy "always" (settings.json): messages wait for the session, then go encrypted; none in plaintext', async () => {
  const world = await makeWorld();
  try {
    await mkdir(join(world.dir, 'alice'), { recursive: true });
    await writeFile(join(world.dir, 'alice', 'settings.json'), JSON.stringify({ policy: 'always' }));
    const alice = await makeSide(world, 'alice', 'alice', { key: KA });
    const bob = await makeSide(world, 'bob', 'bob', { key: KB });
    alice.say('bob', 'canary-always one');
    alice.say('bob', 'canary-always two');
    assert.equal(alice.replies.filter((r) => r.includes('Message kept until the OTR session is up')).length, 1);
    await world.seen(bob, (m) => m.text === 'canary-always two', 'second message');
    assert.ok(world.wire.every((l) => !l.text.includes('canary')));
    assert.ok(bob.seen.findIndex((m) => m.text === 'canary-always one') < bob.seen.findIndex((m) => m.text === 'canary-always two'));
  } finally {
    await world.close();
  }
});

test('a lost session (bouncer restarted while the peer is encrypted): unreadable, then sends are refused', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    // The bouncer restarts without a clean shutdown: a new module instance, same files, no session.
    alice.online = false;
    const again = await makeSide(world, 'alice', 'alice');
    bob.say('alice', 'canary-lost are you there?');
    await world.reply(again, /^\[bob\] Received an encrypted message that could not be read \(the session was lost\)\. Type \x02start bob\x02/);
    const w0 = world.wire.length;
    again.say('bob', 'canary-lost plaintext?');
    assert.match(again.replies.at(-1)!, /^\[bob\] Message not sent: the encrypted conversation with bob ended \(session lost\)\./);
    assert.equal(world.wire.length, w0);
    // The OTR error we sent makes bob's side restart the AKE (ERROR_START_AKE), which clears the refusal.
    await world.reply(again, /^\[bob\] Gone \x02SECURE\x02/);
    again.say('bob', 'canary-lost back');
    await world.seen(bob, (m) => m.text === 'canary-lost back', 'after restart');
    assert.ok(world.wire.every((l) => !l.text.includes('canary')));
  } finally {
    await world.close();
  }
});

test('start from FINISHED: messages typed meanwhile wait and go encrypted', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    alice.cmd('finish bob');
    await world.reply(bob, /has finished the conversation/);
    const b = bob.replies.length;
    bob.cmd('start alice');
    bob.say('alice', 'canary-restart');
    assert.ok(bob.repliesFrom(b).some((r) => r.includes('Message kept until the OTR session is up')));
    await world.seen(alice, (m) => m.text === 'canary-restart', 'queued message');
    assert.ok(world.wire.every((l) => !l.text.includes('canary')));
  } finally {
    await world.close();
  }
});

test('start to a peer that never answers: after the timeout the user is told how to go on, and sends are refused', async () => {
  const world = await makeWorld();
  try {
    const alice = await makeSide(world, 'alice', 'alice', { key: KA, startTimeoutMs: 50 });
    alice.cmd('start dave'); // no OTR on the other side: nothing ever answers
    await world.reply(alice, /^\[dave\] No OTR session with dave came up .*start dave.* to try again, or .*finish dave.* to talk in plaintext\.$/);
    const before = world.wire.length;
    alice.say('dave', 'canary-unanswered');
    await world.reply(alice, /^\[dave\] .*not sent/i);
    assert.ok(world.wire.slice(before).every((l) => !l.text.includes('canary-unanswered')), 'nothing in plaintext');
  } finally {
    await world.close();
  }
});

/**
 * alice and bob; bob starts an AKE and his lines from his Signature on are held back (world.release()
 * sends them on), so alice is half-way through it (she sent her Reveal Signature and waits) when she
 * types `text`; the module has said it keeps the message.
 */
async function aliceTypesMidAke(text: string, startTimeoutMs?: number) {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB }, { startTimeoutMs });
  let holding = false;
  let signatureHeld!: () => void;
  const held = new Promise<void>((r) => { signatureHeld = r; });
  world.divert((from, line) => {
    if (from === bob && line.includes('?OTR:AAMS')) {
      holding = true;
      signatureHeld();
    }
    return holding && from === bob ? 'hold' : 'carry';
  });
  bob.cmd('start alice');
  await held;
  const from = alice.replies.length;
  alice.say('bob', text);
  await world.reply(alice, /^\[bob\] Message kept until the OTR session is up/, from);
  return { world, alice, bob, from };
}

test('bob starts an AKE: what alice types before it completes waits for it and goes out encrypted, never in plaintext', async () => {
  const { world, alice, bob, from } = await aliceTypesMidAke('canary-mid-ake');
  try {
    world.release();
    await world.reply(alice, /^\[bob\] 1 waiting message sent encrypted\.$/, from);
    await world.seen(bob, (m) => m.text === 'canary-mid-ake', 'the kept message');
    assert.ok(world.wire.every((l) => !l.text.includes('canary-mid-ake')), 'never on the wire in plaintext');
  } finally {
    await world.close();
  }
});

test('an AKE bob started stalls: alice\'s waiting message is dropped with a notice after the timeout, never sent in plaintext', async () => {
  const { world, alice, from } = await aliceTypesMidAke('canary-stalled-ake', 50);
  try {
    await world.reply(alice, /^\[bob\] No OTR session with bob came up; waiting messages were not sent\./, from);
    assert.ok(world.wire.every((l) => !l.text.includes('canary-stalled-ake')), 'never on the wire in plaintext');
  } finally {
    await world.close();
  }
});

test('messages kept after start go only to the fingerprint they were written for, not to an impostor who completes the AKE', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    bob.cmd('finish alice');
    alice.cmd('finish bob');
    // bob's nick is taken by someone with another key.
    bob.online = false;
    const impostor = await makeSide(world, 'bob', 'mallory', { key: await generateDsaKey() });
    impostor.peer = alice;
    const from = alice.replies.length;
    alice.cmd('start bob');
    alice.say('bob', 'canary-for-the-real-bob');
    await world.reply(alice, /^\[bob\] Message kept until the OTR session is up/, from);
    await world.reply(alice, /^\[bob\] 1 waiting message was not sent: the fingerprint did not match\.$/, from);
    assert.ok(!impostor.seen.some((m) => m.text.includes('canary-for-the-real-bob')), 'the impostor never reads it');
    assert.ok(world.wire.every((l) => !l.text.includes('canary-for-the-real-bob')), 'never on the wire in plaintext');
  } finally {
    await world.close();
  }
});

test('an SMP abort from the peer with no authentication under way (python-potr sends one after a failure) is not shown', async () => {
  const { world, alice, bob } = await pair({ alice: KA, bob: KB });
  try {
    await secure(world, alice, bob);
    const before = alice.replies.length;
    const bobBefore = bob.replies.length;
    alice.cmd('auth bob one');
    await world.reply(bob, /^\[alice\] alice wants to authenticate/, bobBefore);
    bob.cmd('auth alice two');
    await world.reply(alice, /^\[bob\] Authentication failed/, before);
    const from = alice.replies.length;
    bob.glue.session(bob.glue.peers.get('alice')!).smpAbort(); // what potr does after a failed SMP
    bob.say('alice', 'after-the-abort');
    await world.seen(alice, (m) => m.text === 'after-the-abort', 'the next message');
    assert.deepEqual(alice.repliesFrom(from).filter((r) => /abort/i.test(r)), []);
  } finally {
    await world.close();
  }
});

test('start: an AKE that stalls on a lost DH-Key (a peer still making its key drops it) is asked for again and completes', async () => {
  const { world, alice } = await pair({ alice: KA, bob: KB }, { startRetryMs: 100 });
  try {
    let lost = 0;
    world.divert((from, text) => {
      if (from !== alice || lost > 0 || !text.includes('?OTR:AAMK')) return 'carry';
      lost++;
      return 'drop';
    });
    alice.cmd('start bob');
    await world.reply(alice, /^\[bob\] Gone \x02SECURE\x02/);
    assert.equal(lost, 1);
    assert.ok(world.wire.filter((l) => l.from === 'alice' && l.text.startsWith('?OTRv')).length >= 2, 'the query went out again');
  } finally {
    await world.close();
  }
});
