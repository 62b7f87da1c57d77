// bob (real libotr over ngircd) starts an AKE and alice types before it completes. libotr would send her
// message in plaintext a moment before the session is up (seen with irssi-otr, whose Signature fragments
// came seconds apart under its flood control); the module keeps it and sends it encrypted.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, otrSays, type World } from './world.ts';

let w: World;
before(async () => {
  w = await startWorld();
});
after(async () => {
  await w?.stop();
});

test('a message typed while bob\'s AKE waits for his Signature goes out encrypted once it arrives, never in plaintext', async () => {
  const wire = w.bob.otr.onWire!;
  const kept: [string, string][] = [];
  let holding = false;
  let signatureHeld!: () => void;
  const held = new Promise<void>((r) => { signatureHeld = r; });
  w.bob.otr.onWire = (to, line) => {
    if (line.includes('?OTR:AAMS')) {
      holding = true;
      signatureHeld();
    }
    if (holding) kept.push([to, line]);
    else wire(to, line);
  };
  w.alice.mark();
  await w.bob.otr.query('alice');
  await held;
  w.alice.send('PRIVMSG bob :canary-race typed mid-AKE');
  await otrSays(w, /^\[bob\] Message kept until the OTR session is up/);
  w.bob.otr.onWire = wire;
  for (const [to, line] of kept) wire(to, line);
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitMessage((m) => m.text === 'canary-race typed mid-AKE', 'the kept message');
  assert.equal(w.bob.messages.find((m) => m.text === 'canary-race typed mid-AKE')!.encrypted, true);
  assert.ok(w.relay.lines.every((l) => !l.includes('canary-race')), 'the server never carried it in plaintext');
});
