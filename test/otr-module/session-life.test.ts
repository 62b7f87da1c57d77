// The session follows the transport (XEP-0364): a nick change on either side ends it, with a
// notice, and nothing falls back to plaintext until the user says so.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, otr, otrSays, type World } from './world.ts';

let w: World;
before(async () => {
  w = await startWorld();
});
after(async () => {
  await w?.stop();
});

async function secure(): Promise<void> {
  w.alice.mark();
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
}

function sentTo(nick: string, from: number): string[] {
  return w.relay.lines.slice(from).filter((l) => l.startsWith(`> PRIVMSG ${nick} `));
}

test('the network connection drops while encrypted: the session ends with a notice; after reconnecting, messages to bob are refused', async () => {
  await secure();
  w.alice.mark();
  const bobSaw = w.bob.lines.length;
  assert.equal(w.relay.drop('alice'), 1, "the bouncer's connection to the network"); // no QUIT, no disconnect TLV: the line is gone
  await w.alice.waitFor(/Disconnected from net/);
  await otrSays(w, /^\[bob\] OTR session with bob ended \(disconnected from the network\)\.$/);
  w.alice.send('PRIVMSG *status :connect');
  await w.alice.waitFor(/Connected to net as alice\./);
  await w.bob.waitLine(/^:alice!\S+ QUIT /, 'alice gone', bobSaw);
  await w.bob.waitLine(/^:alice!\S+ JOIN :?#otr$/, 'alice back in #otr', bobSaw);
  const from = w.relay.lines.length;
  const bobFrom = w.bob.lines.length;
  w.alice.send('PRIVMSG bob :secret after reconnect');
  await otrSays(w, /^\[bob\] Message not sent: the encrypted conversation with bob ended \(disconnected from the network\)\. Type \x02start bob\x02 for a new OTR session, or \x02finish bob\x02 to talk in plaintext\.$/);
  w.alice.send('PRIVMSG bob :\x01ACTION secret action after reconnect\x01');
  await otrSays(w, /^\[bob\] Message not sent: the encrypted conversation with bob ended \(disconnected from the network\)\./);
  await w.alice.sync();
  w.bob.write('PING :after-reconnect');
  await w.bob.waitLine(/PONG .*after-reconnect/, 'barrier');
  assert.deepEqual(sentTo('bob', from), []);
  assert.deepEqual(w.bob.lines.slice(bobFrom).filter((l) => / PRIVMSG bob :/.test(l)), []);
  // Clean up for the next test: both sides back to plaintext.
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Messages to bob are now sent in plaintext\.$/);
  await w.bob.otr.finish('alice');
});

test('bob changes nick: the session ends, bob is told, messages to either nick are refused', async () => {
  await secure();
  w.alice.mark();
  w.bob.write('NICK robert');
  await otrSays(w, /^\[bob\] OTR session with bob ended \(nick change\)\.$/);
  await otrSays(w, /^\[bob\] bob is now robert\. Messages to bob or robert are refused until you type/);
  await w.bob.waitState('alice', 'finished'); // the disconnect TLV reached him at his new nick
  const from = w.relay.lines.length;
  w.alice.send('PRIVMSG robert :secret for robert');
  await otrSays(w, /^\[robert\] Message not sent: the encrypted conversation with robert ended \(nick change\)\./);
  w.alice.send('PRIVMSG bob :secret for bob');
  await otrSays(w, /^\[bob\] Message not sent: the encrypted conversation with bob ended \(nick change\)\./);
  await w.alice.sync();
  assert.deepEqual(sentTo('robert', from), []);
  assert.deepEqual(sentTo('bob', from), []);
  // A new session under the new nick (libotr knows alice by her unchanged nick).
  w.alice.mark();
  await w.bob.otr.finish('alice');
  otr(w, 'start robert');
  await otrSays(w, /^\[robert\] Gone \x02SECURE\x02/);
  w.alice.send('PRIVMSG robert :hello robert');
  await w.bob.waitMessage((m) => m.text === 'hello robert' && m.encrypted, 'hello robert');
  otr(w, 'finish bob');
  await otrSays(w, /^\[bob\] Messages to bob are now sent in plaintext\.$/);
});

test('our own nick changes: every session ends (peers know us by the old nick)', async () => {
  w.alice.mark();
  w.alice.send('NICK alice2');
  await otrSays(w, /^\[robert\] OTR session with robert ended \(your nick changed\)\.$/);
  const from = w.relay.lines.length;
  w.alice.send('PRIVMSG robert :after my nick change');
  await otrSays(w, /^\[robert\] Message not sent: the encrypted conversation with robert ended \(your nick changed\)\./);
  await w.alice.sync();
  assert.deepEqual(sentTo('robert', from), []);
});
