// Each network of a user is its own OTR account: two networks of alice on the same ngircd get
// separate keys (separate fingerprints in `info`, as libotr on the other side sees them), separate
// files and separate settings.
import { otrStorageDir } from '../../modules/otr/cli.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNgircd } from '../harness/ngircd.ts';
import { startTestBouncer, networkFor, userConfig } from '../harness/bouncer.ts';
import type { IrcClient } from '../harness/irc-client.ts';
import { LibotrIrcPeer, otrText } from './world.ts';

const FP = /[0-9A-F]{8}(?: [0-9A-F]{8}){4}/;

function otrSays(client: IrcClient, re: RegExp): Promise<string> {
  return client.waitFor((line) => {
    const t = otrText(line);
    return t !== undefined && re.test(t);
  });
}

async function ask(client: IrcClient, line: string): Promise<string[]> {
  const from = client.lines.length;
  client.send(`PRIVMSG *otr :${line}`);
  await client.sync();
  return client.lines.slice(from).map(otrText).filter((t): t is string => t !== undefined);
}

test('two networks of one user: separate keys, fingerprints, files and settings', async () => {
  const irc = await startNgircd();
  const bnc = await startTestBouncer({
    users: [userConfig('alice', 'pw', [
      networkFor(irc, { name: 'net', nick: 'alice', modules: ['otr'], channels: ['#otr'] }),
      networkFor(irc, { name: 'net2', nick: 'alice2', modules: ['otr'], channels: ['#otr'] }),
    ])],
  });
  let bob: LibotrIrcPeer | undefined;
  const clients: IrcClient[] = [];
  try {
    const one = await bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
    clients.push(one);
    const two = await bnc.login('alice', { pass: 'alice/net2:pw', caps: ['server-time'] });
    clients.push(two);
    await one.waitFor(/ JOIN :?#otr/);
    await two.waitFor(/ JOIN :?#otr/);
    const peer = await LibotrIrcPeer.start(irc.port, 'bob');
    bob = peer;

    // Each network makes its own key.
    const fps: string[] = [];
    for (const c of [one, two]) {
      c.send('PRIVMSG *otr :genkey');
      const done = await otrSays(c, /^Key generation finished\. Your fingerprint: /);
      fps.push(FP.exec(done)![0]);
    }
    assert.notEqual(fps[0], fps[1], 'two networks, two keys');
    assert.equal((await ask(one, 'info')).at(-1), `Your fingerprint: ${fps[0]}.`);
    assert.equal((await ask(two, 'info')).at(-1), `Your fingerprint: ${fps[1]}.`);

    // bob's libotr sees each network's own key.
    for (const [i, c, nick] of [[0, one, 'alice'], [1, two, 'alice2']] as const) {
      c.send('PRIVMSG bob :?OTR?');
      await otrSays(c, /^\[bob\] Gone \x02SECURE\x02/);
      const g = await peer.otr.nextEv('gone_secure', (e) => e.peer === nick);
      assert.equal(g.fingerprint.match(/.{8}/g)!.join(' ').toUpperCase(), fps[i], `bob sees ${nick}'s key`);
    }

    // Separate files: each network's directory has its own key and fingerprints.
    const dir = (net: string) => otrStorageDir(bnc.dataDir, 'alice', net);
    const [k1, k2] = await Promise.all([readFile(join(dir('net'), 'otr.key'), 'utf8'), readFile(join(dir('net2'), 'otr.key'), 'utf8')]);
    assert.notEqual(k1, k2);
    // Separate settings: an ignore on one network is not on the other.
    assert.deepEqual(await ask(one, 'ignore carol'), ['Added \x02carol\x02 to the OTR ignore list.']);
    assert.deepEqual(await ask(two, 'ignore'), ['The OTR ignore list is empty.']);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await bob?.close().catch(() => {});
    await bnc.stop().catch(() => {});
    await irc.stop().catch(() => {});
  }
});
