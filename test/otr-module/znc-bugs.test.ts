// The bugs found in ZNC's otr module (../shared/reference/znc-otr-behaviour.md, B1–B10): each test
// shows the bug is absent here, end to end through ngircd with libotr as bob.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { askOtr, startWorld, otr, otrSays, otrText, eventually, LibotrIrcPeer, type World } from './world.ts';
import { COMMANDS } from '../../modules/otr/commands.ts';
import { T } from '../../modules/otr/texts.ts';

let w: World;
let otrDir: string;
before(async () => {
  w = await startWorld();
  otrDir = w.otrDir;
});
after(async () => {
  await w?.stop();
});

const ask = (line: string): Promise<string[]> => askOtr(w, line);

/** B4 first: alice has no key when bob asks for OTR (the key is made on first need). */
test('B4: a query while we have no key does not leave a half-done AKE; this and the next AKE complete', async () => {
  await w.bob.otr.query('alice');
  await otrSays(w, /^Generating your private key in the background \(first use\)\./);
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
  // ZNC stalled on the AKE after that one; here it just works, from either side.
  await w.bob.otr.finish('alice');
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Conversation finished\.$/);
  await w.bob.otr.query('alice');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
});

test('B1: colour codes on the client are well formed (\\x03 + two digits), warnings included', async () => {
  // An unencrypted line from bob inside the encrypted conversation gets the red mark.
  await w.bob.otr.raw('alice', 'sneaky plaintext');
  const marked = await w.alice.waitFor(/PRIVMSG alice :\x0304\[NOT ENCRYPTED\]\x03 sneaky plaintext$/);
  const all = w.alice.lines.filter((l) => l.includes('\x03'));
  assert.ok(all.length >= 2, 'the security note and the mark are coloured');
  for (const l of all) {
    assert.doesNotMatch(l, /\x03\x04/, 'no raw control byte as colour');
    for (const m of l.matchAll(/\x03/g)) {
      const after = l.slice(m.index + 1, m.index + 3);
      assert.ok(/^\d\d/.test(after) || !/^[\d,]/.test(after), JSON.stringify(l));
    }
  }
  assert.match(marked, /^@\S*time=/);
});

test('B2: "Ignore" with a capital letter edits the ignore list, not the enable list', async () => {
  assert.deepEqual(await ask('Ignore Foo*'), ['Added \x02Foo*\x02 to the OTR ignore list.']);
  assert.deepEqual(await ask('ENABLE'), ['OTR is enabled for these nicks:', '*']);
  assert.deepEqual(await ask('IGNORE'), ['OTR is disabled for these nicks:', 'Foo*']);
  assert.deepEqual(await ask('Ignore --remove foo*'), ['Removed \x02Foo*\x02 from the OTR ignore list.']);
});

test('B3: text from a plain user that starts with ?OTR is not swallowed, nor is what follows', async () => {
  const carol = await LibotrIrcPeer.start(w.relay.port, 'carol');
  try {
    carol.write('PRIVMSG alice :?OTR no final dot');
    carol.write('PRIVMSG alice :plain line 1');
    carol.write('PRIVMSG alice :plain line 2.');
    await w.alice.waitFor(/:carol!\S+ PRIVMSG alice :plain line 2\.$/);
    const shown = w.alice.lines.filter((l) => /:carol!/.test(l)).map((l) => l.replace(/^.* PRIVMSG alice :/, ''));
    assert.ok(shown.includes('plain line 1'), JSON.stringify(shown));
    assert.ok(shown.some((s) => s.includes('no final dot')), JSON.stringify(shown));
  } finally {
    await carol.close();
  }
});

test('B3 (an OTR error without a final dot): the error is a notice, and the plain line after it reaches alice', async () => {
  const dave = await LibotrIrcPeer.start(w.relay.port, 'dave');
  try {
    w.alice.mark();
    const from = w.alice.lines.length;
    dave.write('PRIVMSG alice :?OTR Error: no final dot');
    dave.write('PRIVMSG alice :plain after the error');
    await otrSays(w, /^\[dave\] OTR error from peer: no final dot$/);
    const line = await w.alice.waitFor(/:dave!\S+ PRIVMSG alice :/);
    assert.match(line, /^@\S*time=\S+ :dave!\S+ PRIVMSG alice :plain after the error$/);
    await w.alice.sync();
    const shown = w.alice.lines.slice(from).filter((l) => /:dave!\S+ (PRIVMSG|NOTICE) /.test(l));
    assert.deepEqual(shown, [line], 'the error is not passed on raw, nor glued to the next line');
  } finally {
    await dave.close();
  }
});

test('B5: info with conversations but no fingerprints says so, and still shows ours', async () => {
  // A fresh bouncer user would be needed for "no fingerprints at all"; here carol has a context and no fingerprint.
  const out = await ask('info');
  assert.ok(out.some((l) => l.startsWith('| bob ')), out.join('\n'));
  assert.ok(!out.some((l) => l.includes('carol')), 'carol has no fingerprint, so no row');
  assert.match(out.at(-1)!, /^Your fingerprint: [0-9A-F]{8}/);
});

test('B6: finish, authabort and auth never claim what did not happen', async () => {
  assert.deepEqual(await ask('authabort bob'), ['[bob] No authentication in progress. Usage: authabort <nick>']);
  assert.deepEqual(await ask('finish bob'), ['[bob] Conversation finished.', '[bob] Messages to bob are now sent in plaintext.']);
  assert.deepEqual(await ask('finish bob'), ['[bob] No OTR conversation with bob; nothing to finish. Usage: finish <nick>']);
  assert.deepEqual(await ask('auth bob secret'), ['[bob] Not in an encrypted conversation with bob. Type \x02start bob\x02 first. Usage: auth <nick> <secret>']);
  assert.deepEqual(await ask('authabort bob'), ['[bob] Not in an encrypted conversation with bob. Type \x02start bob\x02 first. Usage: authabort <nick>']);
});

test('B8: ignoring a nick: no ciphertext reaches the client, no plaintext goes into a live session', async () => {
  w.alice.mark();
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
  w.alice.mark();
  otr(w, 'ignore bob');
  await otrSays(w, /^\[bob\] OTR is now disabled for bob: the encrypted conversation was finished and bob was told\.$/);
  await w.bob.waitState('alice', 'finished'); // bob's libotr will not take plaintext for encrypted
  const start = w.alice.lines.length;
  await w.bob.otr.finish('alice');
  await w.bob.otr.query('alice'); // bob insists on OTR
  await w.bob.otr.raw('alice', '?OTR:AAMDbm90cmVhbGx5b3Ry.');
  w.bob.write('PING :b8');
  await w.bob.waitLine(/PONG .*b8/, 'b8');
  await eventually(() => w.alice.lines.slice(start).some((l) => /sent an OTR message, but OTR is disabled for bob/.test(l)), 'the notice');
  await w.alice.sync();
  assert.equal(w.alice.lines.slice(start).filter((l) => /:bob!\S+ PRIVMSG alice :\?OTR[:|,]/.test(l)).length, 0, 'no ciphertext shown');
  await ask('ignore --remove bob');
});

test('B9: every OTR file is 0600 in a 0700 directory; detached messages come back with server-time, not a text timestamp', async () => {
  await eventually(async () => (await readdir(otrDir)).includes('otr.instag'), 'otr.instag');
  for (const f of await readdir(otrDir)) {
    assert.equal((await stat(join(otrDir, f))).mode & 0o777, 0o600, f);
  }
  assert.equal((await stat(otrDir)).mode & 0o777, 0o700);
  w.alice.mark();
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
  await w.alice.close();
  await eventually(() => w.bnc.logs.some((r) => r.msg === 'client detached'), 'detached');
  await w.bob.say('alice', 'said while you were away');
  w.bob.write('PING :b9');
  await w.bob.waitLine(/PONG .*b9/, 'b9');
  w.alice = await w.bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
  const line = await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :said while you were away$/);
  assert.match(line, /^@\S*time=\d{4}-\d\d-\d\dT/);
  assert.doesNotMatch(line, /:\[\d\d:\d\d(:\d\d)?\]/);
});

test('B10: no typos from the reference in help or messages; sentences end with a period', async () => {
  const help = (await ask('help')).join('\n');
  assert.doesNotMatch(help, /comand|veryfing/i);
  for (const c of COMMANDS) assert.doesNotMatch(c.help, /comand|veryfing/i);
  assert.match(T.authPendingAnswer('bob'), /\.$/);
  const out = await ask('trust');
  assert.doesNotMatch(out.join('\n'), /comand/);
});
