// libotr peers with other policies: OTR v2 only, and REQUIRE_ENCRYPTION (libotr's ALWAYS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIBOTR_POLICY } from '../interop/libotr-peer.ts';
import { startWorld, otrSays } from './world.ts';

test('a v2-only libotr peer: the session is OTR v2, messages both ways', async () => {
  const w = await startWorld({ bobPolicy: LIBOTR_POLICY.ALLOW_V2 | LIBOTR_POLICY.SEND_WHITESPACE_TAG | LIBOTR_POLICY.WHITESPACE_START_AKE | LIBOTR_POLICY.ERROR_START_AKE });
  try {
    w.alice.send('PRIVMSG bob :?OTR?');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
    await w.bob.waitState('alice', 'encrypted');
    assert.equal((await w.bob.otr.state('alice')).version, 2);
    assert.ok(w.relay.lines.some((l) => /^> PRIVMSG bob :\?OTR:AAI/.test(l)), 'v2 messages on the wire');
    w.alice.send(`PRIVMSG bob :v2 hello ${'z'.repeat(450)}`);
    await w.bob.waitMessage((m) => m.text.startsWith('v2 hello') && m.encrypted, 'v2 message');
    await w.bob.say('alice', 'v2 reply');
    await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :v2 reply$/);
  } finally {
    await w.stop();
  }
});

test('a libotr peer that requires encryption: its first message waits for the AKE our module answers', async () => {
  const w = await startWorld({ bobPolicy: LIBOTR_POLICY.ALWAYS });
  try {
    await w.bob.say('alice', 'only encrypted, please');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
    const line = await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :only encrypted, please$/);
    assert.doesNotMatch(line, /NOT ENCRYPTED/);
    assert.ok(!w.relay.lines.some((l) => l.includes('only encrypted, please')));
  } finally {
    await w.stop();
  }
});
