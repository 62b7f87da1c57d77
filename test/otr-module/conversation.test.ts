// A plain IRC client through the bouncer talks OTR with real libotr over a real ngircd.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, otr, otrSays, otrText, eventually, type World } from './world.ts';

let w: World;
before(async () => {
  w = await startWorld();
});
after(async () => {
  await w?.stop();
});

const fromBob = (text: string) => (line: string) =>
  new RegExp(`^@\\S*time=\\S+ :bob!\\S+ PRIVMSG alice :${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).test(line);

test('alice starts with ?OTR?; messages both ways, /me, 2000 bytes; the server carries no plaintext', async () => {
  w.alice.mark();
  w.alice.send('PRIVMSG bob :?OTR?');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02 \(not verified\)\./);
  await w.bob.otr.nextEv('gone_secure');
  // The first AKE with bob's key, unknown until now: said once, with the fingerprint.
  const bobFp = w.bob.otr.fingerprint!.toUpperCase().match(/.{8}/g)!.join(' ');
  const newFp = w.alice.lines.map(otrText).filter((t) => t?.includes('New fingerprint'));
  assert.deepEqual(newFp, [`[bob] New fingerprint for bob: ${bobFp}`]);
  const query = w.relay.lines.find((l) => l.startsWith('> PRIVMSG bob :?OTRv'));
  assert.match(query!, /^> PRIVMSG bob :\?OTRv23\? alice has requested an Off-the-Record private conversation\./);

  w.alice.send('PRIVMSG bob :canary-e2e hello bob');
  await w.bob.waitMessage((m) => m.text === 'canary-e2e hello bob' && m.encrypted, 'hello');
  await w.bob.say('alice', 'canary-e2e hi alice');
  await w.alice.waitFor(fromBob('canary-e2e hi alice'));

  w.alice.send('PRIVMSG bob :\x01ACTION canary-e2e waves\x01');
  await w.bob.waitMessage((m) => m.text === '/me canary-e2e waves' && m.encrypted, '/me');
  await w.bob.say('alice', '/me canary-e2e bows');
  await w.alice.waitFor(fromBob('\x01ACTION canary-e2e bows\x01'));

  // 2000 bytes both ways: alice's client sends one long line (the module fragments what it encrypts).
  const big = 'canary-e2e-big ' + 'é'.repeat(1000);
  assert.ok(Buffer.byteLength(big) >= 2000, `${Buffer.byteLength(big)} bytes`);
  w.alice.send(`PRIVMSG bob :${big}`);
  await w.bob.waitMessage((m) => m.text === big && m.encrypted, 'the 2000-byte message from alice');
  const start = w.alice.lines.length;
  await w.bob.say('alice', big);
  // It reaches alice's client as several PRIVMSGs of at most 512 bytes that together are the message.
  const pieces = (): string[] => w.alice.lines.slice(start).filter((l) => / :bob!\S+ PRIVMSG alice :/.test(l)).map((l) => l.replace(/^.*? PRIVMSG alice :/, ''));
  await eventually(() => pieces().join('') === big, 'the 2000-byte message in pieces');
  assert.ok(pieces().length >= 4, `pieces: ${pieces().length}`);
  for (const l of w.alice.lines.slice(start)) assert.ok(Buffer.byteLength(l.replace(/^@\S+ /, '')) + 2 <= 512, l);

  for (const l of w.relay.lines) {
    assert.doesNotMatch(l, /canary/);
    assert.ok(Buffer.byteLength(l.slice(2)) + 2 <= 512, `line over 512 bytes: ${l}`);
  }
  // alice's fragments as ngircd relays them to bob fill the 512-byte budget (prefix and CRLF included;
  // the engine keeps libotr's one byte of header slack).
  const frags = w.relay.lines.filter((l) => /^< :alice!\S+ PRIVMSG bob :\?OTR\|/.test(l)).map((l) => Buffer.byteLength(l.slice(2)) + 2);
  assert.ok(frags.length >= 5, `alice's fragments as relayed: ${frags.length}`);
  assert.ok(Math.max(...frags) >= 511, `largest relayed fragment line: ${Math.max(...frags)} bytes`);
});

test('channels are never encrypted: while the session with bob is up, a channel line goes out as typed', async () => {
  await w.bob.waitState('alice', 'encrypted');
  const from = w.relay.lines.length;
  const bobFrom = w.bob.lines.length;
  w.alice.send('PRIVMSG #otr :chan-text');
  const got = await w.bob.waitLine(/ PRIVMSG #otr :/, 'the channel line', bobFrom);
  assert.match(got, /^:alice!\S+ PRIVMSG #otr :chan-text$/);
  // What the bouncer sent to ngircd: exactly the typed line (no ciphertext, no whitespace tag).
  assert.deepEqual(w.relay.lines.slice(from).filter((l) => l.startsWith('> PRIVMSG #otr ')), ['> PRIVMSG #otr :chan-text']);
  assert.equal(w.bob.messages.filter((m) => m.text.includes('chan-text')).length, 0, 'nothing went to bob privately');
});

test('while encrypted, a plaintext NOTICE and a plaintext /me from bob are marked [NOT ENCRYPTED]', async () => {
  await w.bob.waitState('alice', 'encrypted');
  w.alice.mark();
  // Raw lines from bob's IRC connection, past his libotr: plaintext inside the encrypted conversation.
  w.bob.write('NOTICE alice :plain notice');
  w.bob.write('PRIVMSG alice :\x01ACTION plain action\x01');
  const notice = await w.alice.waitFor(/:bob!\S+ NOTICE alice :/);
  assert.match(notice, /^@\S*time=\S+ :bob!\S+ NOTICE alice :\x0304\[NOT ENCRYPTED\]\x03 plain notice$/);
  const action = await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :\x01ACTION /);
  assert.match(action, /^@\S*time=\S+ :bob!\S+ PRIVMSG alice :\x01ACTION \x0304\[NOT ENCRYPTED\]\x03 plain action\x01$/);
  await w.bob.waitState('alice', 'encrypted'); // bob's side is untouched
});

test('an OTR error from bob while encrypted: a notice, and the next message still goes encrypted', async () => {
  // Designed behaviour (otr-module.ts, texts.ts): an OTR error leaves the session as it is (as in
  // libotr); the user is told, the engine asks bob for a new AKE (ERROR_START_AKE), and nothing is
  // sent in plaintext meanwhile or after.
  await w.bob.waitState('alice', 'encrypted');
  w.alice.mark();
  const from = w.relay.lines.length;
  const shownFrom = w.alice.lines.length;
  w.bob.write('PRIVMSG alice :?OTR Error: something broke.');
  await otrSays(w, /^\[bob\] OTR error from peer: something broke\.$/);
  await otrSays(w, /^\[bob\] (Still|Gone) \x02SECURE\x02/); // bob's libotr answered our query
  w.alice.send('PRIVMSG bob :canary-e2e after the error');
  await w.bob.waitMessage((m) => m.text === 'canary-e2e after the error' && m.encrypted, 'the message after the error');
  await w.alice.sync();
  assert.equal(w.alice.find(/:bob!\S+ PRIVMSG alice :/, shownFrom), undefined, 'the error line itself is not passed on');
  const sent = w.relay.lines.slice(from).filter((l) => l.startsWith('> PRIVMSG bob :'));
  assert.ok(sent.length > 0 && sent.every((l) => l.startsWith('> PRIVMSG bob :?OTR')), sent.join('\n'));
});

test('a decrypted message with line breaks is shown line by line: bob cannot send alice\'s client protocol lines', async () => {
  await w.bob.waitState('alice', 'encrypted');
  w.alice.mark();
  const from = w.alice.lines.length;
  // Inside the encryption nothing stops a peer (a Pidgin user's multi-line message, or a hostile one).
  // (NUL, which libotr's C strings cannot carry, is covered with the module host in modules.test.ts.)
  await w.bob.say('alice', 'line one\r\n:evil!e@e PRIVMSG alice :spoofed\nQUIT :gone\r\n\r\nlast line');
  await w.alice.waitFor(fromBob('last line'));
  await w.alice.sync();
  const shown = w.alice.lines.slice(from).filter((l) => !/ PONG /.test(l)).map((l) => l.replace(/^@\S+ /, ''));
  assert.deepEqual(shown, [
    ':bob!~bob@127.0.0.1 PRIVMSG alice :line one',
    ':bob!~bob@127.0.0.1 PRIVMSG alice ::evil!e@e PRIVMSG alice :spoofed',
    ':bob!~bob@127.0.0.1 PRIVMSG alice :QUIT :gone',
    ':bob!~bob@127.0.0.1 PRIVMSG alice :last line',
  ]);
});

test('a second client of alice sees what she typed (never ciphertext) and bob\'s decrypted replies', async () => {
  await w.bob.waitState('alice', 'encrypted');
  const second = await w.bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
  try {
    await second.sync();
    const from = second.lines.length;
    w.alice.send('PRIVMSG bob :canary-e2e typed on the first client');
    await w.bob.waitMessage((m) => m.text === 'canary-e2e typed on the first client' && m.encrypted, 'the message');
    await second.waitFor(/^@\S*time=\S+ :alice!\S+ PRIVMSG bob :canary-e2e typed on the first client$/);
    await w.bob.say('alice', 'canary-e2e to both');
    await w.alice.waitFor(fromBob('canary-e2e to both'));
    await second.waitFor(fromBob('canary-e2e to both'));
    await second.sync();
    assert.equal(second.find(/\?OTR/, from), undefined, 'no OTR wire text on the other client');
  } finally {
    await second.close();
  }
});

test('info shows bob encrypted with the active fingerprint, then trust changes it', async () => {
  w.alice.mark();
  otr(w, 'info');
  await otrSays(w, /^\+-+\+-+\+-+\+-+\+-+\+$/);
  const header = await otrSays(w, /^\| Peer /);
  assert.match(header, /\| Peer \| State +\| Fingerprint +\| Act \| Trust +\|$/);
  await otrSays(w, /^\+-/);
  const fp = w.bob.otr.fingerprint!.match(/.{8}/g)!.join(' ');
  const row = await otrSays(w, /^\| bob /);
  assert.match(row, new RegExp(`^.*:\\| bob  \\| encrypted \\| ${fp} \\|  \\*  \\| not trusted \\|$`));
  await otrSays(w, /^\+-/);
  await otrSays(w, /^Your fingerprint: [0-9A-F]{8}( [0-9A-F]{8}){4}\.$/);
  otr(w, 'trust bob');
  await otrSays(w, new RegExp(`^\\[bob\\] Fingerprint ${fp} trusted!$`));
});

test('bob finishes: alice is refused until she acts, and nothing reaches the server', async () => {
  w.alice.mark();
  await w.bob.otr.finish('alice');
  await otrSays(w, /^\[bob\] bob has finished the conversation\. Type \x02finish bob\x02 to talk in plaintext, or \x02start bob\x02 for a new OTR session\.$/);
  const before = w.relay.lines.length;
  w.alice.send('PRIVMSG bob :canary-e2e refused');
  await otrSays(w, /^\[bob\] Message not sent: bob has ended the private conversation\./);
  await w.alice.sync();
  assert.equal(w.relay.lines.slice(before).filter((l) => l.startsWith('> PRIVMSG bob')).length, 0);
  // start: a new session (bob answers the query), then the message goes encrypted.
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02\./);
  w.alice.send('PRIVMSG bob :canary-e2e after restart');
  await w.bob.waitMessage((m) => m.text === 'canary-e2e after restart' && m.encrypted, 'after restart');
});

test('alice finishes: bob (libotr) is told and refuses to send', async () => {
  w.alice.mark();
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Conversation finished\.$/);
  await w.bob.waitState('alice', 'finished');
  const r = await w.bob.say('alice', 'canary-e2e should not go');
  assert.equal((r as { refused: boolean }).refused, true);
  // Plaintext now: alice's plain message reaches bob unencrypted (her choice, by finish).
  w.alice.send('PRIVMSG bob :plain after finish');
  // libotr in FINISHED shows it to bob as "received unencrypted".
  await w.bob.otr.nextEv('msg_event', (e) => e.event === 'RCVDMSG_UNENCRYPTED' && e.message === 'plain after finish');
});

test('bob starts with a query; a whitespace tag from bob starts it too', async () => {
  await w.bob.otr.finish('alice');
  w.alice.mark();
  await w.bob.otr.query('alice');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02\./);
  // ngircd strips trailing whitespace, so the tag rides inside the line here.
  await w.bob.otr.finish('alice');
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Conversation finished\.$/);
  w.alice.mark();
  const tag = '\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20\x20\x20\x09\x09\x20\x20\x09\x09';
  await w.bob.otr.raw('alice', `tagged${tag} hello`);
  await w.alice.waitFor(fromBob('tagged hello'));
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02\./);
});

test('peer QUIT ends the session; messages are refused, not sent in plaintext', async () => {
  w.alice.mark();
  w.bob.write('QUIT :bye');
  await otrSays(w, /^\[bob\] OTR session with bob ended \(peer quit\)\.$/);
  const before = w.relay.lines.length;
  w.alice.send('PRIVMSG bob :canary-e2e after quit');
  await otrSays(w, /^\[bob\] Message not sent: the encrypted conversation with bob ended \(peer quit\)\. Type \x02start bob\x02 for a new OTR session, or \x02finish bob\x02 to talk in plaintext\.$/);
  await w.alice.sync();
  assert.equal(w.relay.lines.slice(before).filter((l) => l.startsWith('> PRIVMSG bob')).length, 0);
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Messages to bob are now sent in plaintext\.$/);
});

test('a long plaintext line (no session) goes out as several lines within 512 bytes', async () => {
  await w.bob.otr.finish('alice');
  const long = 'plain-long ' + 'p'.repeat(1200);
  const from = w.relay.lines.length;
  w.alice.send(`PRIVMSG carol :${long}`);
  w.alice.send(`PRIVMSG carol :end`);
  await eventually(() => w.relay.lines.slice(from).some((l) => /^< .* PRIVMSG carol :end/.test(l) || /^> PRIVMSG carol :end/.test(l)), 'sent');
  const sent = w.relay.lines.slice(from).filter((l) => l.startsWith('> PRIVMSG carol :')).map((l) => l.slice('> PRIVMSG carol :'.length));
  assert.ok(sent.length >= 4, `lines: ${sent.length}`);
  for (const l of sent) assert.ok(Buffer.byteLength(`:alice!~alice@127.0.0.1 PRIVMSG carol :${l}\r\n`) <= 512);
  assert.equal(sent.slice(0, -1).join('').replace(/[ \t]+$/, ''), long);
});
