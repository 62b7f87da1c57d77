// A known plaintext goes through a whole OTR conversation (both directions, /me, fragments, an SMP
// with a known secret, playback to a client that attaches later, bouncer shutdown); afterwards it,
// and the SMP secret, is nowhere on disk, nowhere in the logs and in no line the IRC server carried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startWorld, otr, otrSays } from './world.ts';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

test('canary: the plaintext of an OTR conversation and an SMP secret never reach the data directory, the logs or the wire', async () => {
  const canary = `CANARY${randomBytes(8).toString('hex')}`;
  // The SMP secret (typed to *otr, answered by bob's libotr): as private as the plaintext.
  const secret = `SMPSECRET${randomBytes(8).toString('hex')}`;
  const w = await startWorld({ logLevel: 'trace' });
  try {
    w.alice.send('PRIVMSG bob :?OTR?');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
    await w.bob.waitState('alice', 'encrypted');
    w.alice.send(`PRIVMSG bob :${canary} one`);
    w.alice.send(`PRIVMSG bob :\x01ACTION ${canary} two\x01`);
    w.alice.send(`PRIVMSG bob :${canary} ${'long '.repeat(90)}`);
    await w.bob.waitMessage((m) => m.text.startsWith(`${canary} long`) && m.encrypted, 'long');
    await w.bob.say('alice', `${canary} three`);
    await w.alice.waitFor(new RegExp(`PRIVMSG alice :${canary} three$`));
    // SMP with a known secret (and the canary in the question): it succeeds, so the secret was used.
    w.alice.mark();
    otr(w, `authq bob [${canary} question?] ${secret}`);
    const ask = await w.bob.otr.nextEv('smp_event', (e) => e.event === 'ASK_FOR_ANSWER');
    assert.equal(ask.question, `${canary} question?`);
    await w.bob.otr.smpRespond('alice', secret);
    await otrSays(w, /^\[bob\] Successfully authenticated\.$/);
    await w.bob.otr.nextEv('smp_event', (e) => e.event === 'SUCCESS');
    // Detached: the decrypted message waits in memory for the next client.
    await w.alice.close();
    await w.bnc.waitForLog((r) => r.msg === 'client detached');
    await w.bob.say('alice', `${canary} four`);
    w.bob.write('PING :barrier');
    await w.bob.waitLine(/PONG .*barrier/, 'barrier');
    w.alice = await w.bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
    await w.alice.waitFor(new RegExp(`PRIVMSG alice :${canary} four$`));

    // Shutdown: bob's libotr gets the disconnect TLV before alice's QUIT.
    await w.bnc.running.stop();
    await w.bob.waitState('alice', 'finished');
    const quitAt = w.relay.lines.findIndex((l) => /^> QUIT/.test(l));
    const lastOtr = w.relay.lines.map((l, i) => (/^> PRIVMSG bob :\?OTR:/.test(l) ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(quitAt < 0 || lastOtr < quitAt, 'the disconnect TLV went out before QUIT');

    const files = await filesUnder(w.bnc.dir);
    assert.ok(files.some((f) => f.endsWith('otr.key')) && files.some((f) => f.endsWith('otr.fp')), files.join('\n'));
    for (const f of files) {
      const bytes = await readFile(f);
      for (const known of [canary, secret]) {
        assert.equal(bytes.includes(known), false, `${known} in ${f}`);
        assert.equal(bytes.includes(Buffer.from(known, 'utf16le')), false, `${known} (utf-16) in ${f}`);
      }
    }
    assert.ok(w.bnc.logs.length > 0);
    assert.doesNotMatch(JSON.stringify(w.bnc.logs), new RegExp(canary));
    assert.doesNotMatch(JSON.stringify(w.bnc.logs), new RegExp(secret));
    assert.ok(w.relay.lines.length > 0);
    for (const l of w.relay.lines) {
      assert.doesNotMatch(l, new RegExp(canary));
      assert.doesNotMatch(l, new RegExp(secret));
    }
    // The canary did reach the people it was meant for.
    assert.equal(w.bob.messages.filter((m) => m.text.includes(canary) && m.encrypted).length, 3);
  } finally {
    await w.stop();
  }
});
