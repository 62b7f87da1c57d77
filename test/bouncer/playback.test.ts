// Playback: messages that arrive while no client is attached are delivered on attach, with server-time in
// a batch where the client supports it, with a [HH:MM:SS] prefix where it does not.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { connectAndRegister, type IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';

let irc: Ngircd;
let bnc: Bnc;
let bob: IrcClient;

before(async () => {
  irc = await startNgircd();
  bnc = await startBnc([userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice', channels: ['#room'], playbackLines: 3 })])]);
  await networkReady(bnc, 'alice', 'net');
  const first = await bnc.login('alice', { pass: 'alice/net:pw' });
  await first.waitFor(/ 366 alice #room /);
  bob = await connectAndRegister(irc.port, 'bob');
  bob.send('JOIN #room');
  await first.waitFor(/^:bob!\S+ JOIN :?#room$/);
  await first.close();
  await bnc.waitForLog((r) => r.msg === 'client detached');
});

after(async () => {
  bob?.socket.destroy();
  await bnc?.stop();
  await irc?.stop();
});

/** Sends lines from bob and waits until the bouncer has put the last one into playback. */
async function whileDetached(lines: string[]): Promise<void> {
  const seen = bnc.logs.length;
  for (const l of lines) bob.send(l);
  let n = 0;
  await bnc.waitForLog((r) => r.msg === 'kept for playback' && bnc.logs.indexOf(r) >= seen && ++n === lines.length);
}

test('server-time + batch: playback inside a batch with the arrival times; the buffer is then empty', async () => {
  const t0 = Date.now();
  await whileDetached(['PRIVMSG alice :one', 'PRIVMSG #room :two', 'PRIVMSG alice :\x01ACTION waves\x01']);
  const net = bnc.bouncer.users.get('alice')!.networks.get('net')!;
  const c = await bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time', 'batch'] });
  const start = await c.waitFor(/ BATCH \+\S+ znc\.in\/playback$/);
  const ref = / BATCH \+(\S+) /.exec(start)![1]!;
  const one = await c.waitFor(/PRIVMSG alice :one$/);
  const m = new RegExp(`^@batch=${ref};time=(\\S+) :bob!\\S+ PRIVMSG alice :one$`).exec(one);
  assert.ok(m, one);
  const t = Date.parse(m[1]!);
  assert.ok(t >= t0 - 1000 && t <= Date.now(), `time ${m[1]} is when the line arrived`);
  await c.waitFor(new RegExp(`^@batch=${ref};time=\\S+ :bob!\\S+ PRIVMSG #room :two$`));
  await c.waitFor(new RegExp(`^@batch=${ref};time=\\S+ :bob!\\S+ PRIVMSG alice :\\x01ACTION waves\\x01$`));
  await c.waitFor(` BATCH -${ref}`);
  await c.close();
  await bnc.waitForLog((r) => r.msg === 'client detached' && net.clients.length === 0);
  const again = await bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time', 'batch'] });
  await again.sync();
  assert.equal(again.find(/BATCH/, 0), undefined, 'nothing left to play back');
  await again.close();
  await bnc.waitForLog((r) => r.msg === 'client detached' && net.clients.length === 0);
});

test('without server-time: [HH:MM:SS] prefix; the ring keeps the newest playbackLines lines', async () => {
  await whileDetached(['PRIVMSG alice :a1', 'PRIVMSG alice :a2', 'PRIVMSG alice :a3', 'PRIVMSG alice :\x01ACTION a4\x01']);
  const c = await bnc.login('alice', { pass: 'alice/net:pw' });
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :\[\d\d:\d\d:\d\d\] a2$/);
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :\[\d\d:\d\d:\d\d\] a3$/);
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :\x01ACTION \[\d\d:\d\d:\d\d\] a4\x01$/);
  assert.equal(c.find(/ a1$/, 0), undefined, 'a1 fell out of the 3-line ring');
  await c.close();
});
