// Proves the test harness against the real ngircd: two raw clients talk, kill + restart on the same port,
// TLS, server password, waitFor failure messages, sync barrier.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startNgircd, type Ngircd } from './ngircd.ts';
import { IrcClient, connectAndRegister } from './irc-client.ts';
import { parseLine } from './irc-line.ts';
import { tryConnect } from './net.ts';
import { startTestBouncer, networkFor, userConfig } from './bouncer.ts';

const servers: Ngircd[] = [];
after(async () => { for (const s of servers) await s.stop(); });

async function server(opts: Parameters<typeof startNgircd>[0] = {}): Promise<Ngircd> {
  const s = await startNgircd(opts);
  servers.push(s);
  return s;
}

test('two raw clients talk through ngircd (channel and private)', async () => {
  const irc = await server();
  const a = await connectAndRegister(irc.port, 'alice_with_a_long_nick');
  const b = await connectAndRegister(irc.port, 'bob');
  a.send('JOIN #room');
  await a.waitFor(/ 366 alice_with_a_long_nick #room /);
  b.send('JOIN #room');
  await a.waitFor(/^:bob!\S+ JOIN :?#room$/);
  a.send('PRIVMSG #room :hello room');
  const got = parseLine(await b.waitFor('PRIVMSG #room'));
  assert.equal(got.nick, 'alice_with_a_long_nick');
  assert.deepEqual(got.params, ['#room', 'hello room']);
  b.send('PRIVMSG alice_with_a_long_nick :hi in private');
  await a.waitFor(/^:bob!\S+ PRIVMSG alice_with_a_long_nick :hi in private$/);
  // The sync barrier: nothing else was sent to b in the meantime.
  await b.sync();
  assert.equal(b.find(/PRIVMSG bob/), undefined);
  await a.close('bye');
  await b.waitFor(/QUIT :/);
  await b.close();
});

test('kill (SIGKILL) drops clients; restart listens on the same port again', async () => {
  const irc = await server();
  const port = irc.port;
  const a = await connectAndRegister(port, 'carol');
  await irc.kill();
  await a.waitClosed();
  assert.equal(irc.running(), false);
  assert.equal(await tryConnect(port), false);
  await irc.restart();
  assert.equal(irc.port, port);
  assert.equal(irc.running(), true);
  const b = await connectAndRegister(port, 'carol');
  await b.close();
  // restart() of a running server stops it first.
  await irc.restart();
  const c = await connectAndRegister(port, 'dave');
  await c.close();
});

test('stop() removes the temp dir and frees the port', async () => {
  const irc = await startNgircd();
  const { dir, port } = irc;
  assert.ok(existsSync(dir));
  await irc.stop();
  assert.equal(existsSync(dir), false);
  assert.equal(await tryConnect(port), false);
  await irc.stop(); // idempotent
});

test('TLS port with a self-signed certificate', async () => {
  const irc = await server({ tls: true });
  assert.ok(irc.tlsPort);
  const a = await connectAndRegister(irc.tlsPort!, 'tlsuser', {}, { tls: true });
  // Verifying against the pinned certificate works too.
  const b = await connectAndRegister(irc.tlsPort!, 'tlsuser2', {}, {
    tls: true, tlsOptions: { rejectUnauthorized: true, ca: irc.cert!.certPem, servername: 'localhost' },
  });
  await a.close();
  await b.close();
});

test('server password: wrong one is refused, right one registers', async () => {
  const irc = await server({ password: 's3cret' });
  const bad = await IrcClient.connect(irc.port);
  await assert.rejects(bad.register('eve', { pass: 'wrong' }), /registration refused|connection closed/);
  const good = await connectAndRegister(irc.port, 'eve', { pass: 's3cret' });
  await good.close();
});

test('waitFor fails with the last lines seen', async () => {
  const irc = await server({ motd: 'motd-marker-line\n' });
  const a = await connectAndRegister(irc.port, 'frank');
  await a.waitFor('motd-marker-line');
  await assert.rejects(a.waitFor('never-sent', 200), (e: Error) => {
    assert.match(e.message, /timed out after 200 ms waiting for never-sent/);
    assert.match(e.message, / 376 frank /); // end of MOTD is among the last lines quoted
    return true;
  });
  await a.close();
});

test('CAP negotiation helper against ngircd', async () => {
  const irc = await server();
  const c = await IrcClient.connect(irc.port);
  const r = await c.register('gina', { caps: ['multi-prefix', 'no-such-cap'] });
  assert.ok(r.available.has('multi-prefix'));
  assert.ok(r.caps.has('multi-prefix'));
  assert.equal(r.caps.has('no-such-cap'), false);
  await c.close();
});


test('in-process bouncer: a client logs in and talks to a raw ngircd client', async () => {
  const irc = await server();
  const bob = await connectAndRegister(irc.port, 'bob');
  bob.send('JOIN #meet');
  await bob.waitFor(/ 366 bob #meet /);
  const bnc = await startTestBouncer({
    users: [userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice', channels: ['#meet'] })])],
  });
  try {
    // The bouncer's upstream connection is up once its auto-join reaches bob.
    await bob.waitFor(/^:alice!\S+ JOIN :?#meet$/, 10_000);
    const cl = await bnc.login('alice', { pass: 'alice/net:pw' });
    cl.send('PRIVMSG bob :through the bouncer');
    await bob.waitFor(/^:alice!\S+ PRIVMSG bob :through the bouncer$/, 10_000);
    bob.send('PRIVMSG alice :back again');
    await cl.waitFor(/^(@\S+ )?:bob!\S+ PRIVMSG alice :back again$/);
    await cl.close();
    await bob.close();
  } finally {
    await bnc.stop();
  }
});
