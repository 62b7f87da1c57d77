// The network side: reconnect and rejoin after ngircd dies, nick in use, server password, TLS with and
// without verification, SASL PLAIN upstream, PING timeout, outgoing flood limit, two networks reading at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { connectAndRegister, type IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';
import { startFakeServer, welcome, type FakeServer } from './fake-server.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function ngircd(opts: Parameters<typeof startNgircd>[0] = {}): Promise<Ngircd> {
  const s = await startNgircd(opts);
  cleanup.push(() => s.stop());
  return s;
}
async function bouncer(...args: Parameters<typeof startBnc>): Promise<Bnc> {
  const b = await startBnc(...args);
  cleanup.push(() => b.stop());
  return b;
}
function track(c: IrcClient): IrcClient {
  cleanup.push(() => { c.socket.destroy(); });
  return c;
}

test('ngircd killed and restarted: the bouncer reconnects and rejoins its channels', async () => {
  const irc = await ngircd();
  const bnc = await bouncer([userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice', channels: ['#room'] })])]);
  await networkReady(bnc, 'alice', 'net');
  const c = track(await bnc.login('alice', { pass: 'alice/net:pw' }));
  await c.waitFor(/^:alice!\S+ JOIN :?#room$/);
  c.send('JOIN #second');
  await c.waitFor(/^:alice!\S+ JOIN :?#second$/);
  await irc.kill();
  await c.waitFor(/^:\*status!status@otrbnc PRIVMSG alice :Disconnected from net/);
  await irc.restart();
  await c.waitFor(/^:\*status!status@otrbnc PRIVMSG alice :Connected to net as alice/, 10_000);
  await c.waitFor(/^:alice!\S+ JOIN :?#room$/);
  await c.waitFor(/^:alice!\S+ JOIN :?#second$/);
  const bob = track(await connectAndRegister(irc.port, 'bob'));
  bob.send('PRIVMSG #second :after restart');
  bob.send('JOIN #second');
  await bob.waitFor(/ 366 bob #second /);
  bob.send('PRIVMSG #second :after restart');
  await c.waitFor(/^:bob!\S+ PRIVMSG #second :after restart$/);
});

test('nick in use: alt nick, then alt nick with underscores; clients get the nick the network gave', async () => {
  const irc = await ngircd();
  track(await connectAndRegister(irc.port, 'alice'));
  track(await connectAndRegister(irc.port, 'alt'));
  const bnc = await bouncer([userConfig('alice', 'pw', [
    networkFor(irc, { name: 'a', nick: 'alice', altNick: 'alice2' }),
    networkFor(irc, { name: 'b', nick: 'alice', altNick: 'alt' }),
  ])]);
  await networkReady(bnc, 'alice', 'a');
  await networkReady(bnc, 'alice', 'b');
  const a = track(await bnc.login('x', { pass: 'alice/a:pw' }));
  assert.match(a.lines[0]!, / 001 alice2 /);
  const b = track(await bnc.login('x', { pass: 'alice/b:pw' }));
  assert.match(b.lines[0]!, / 001 alt_ /);
  // A NICK from the client that is in use comes back as 433 from the network.
  b.send('NICK alice');
  await b.waitFor(/ 433 alt_ alice /);
  b.send('NICK alice3');
  await b.waitFor(/^:alt_!\S+ NICK :?alice3$/);
  assert.equal(bnc.bouncer.users.get('alice')!.networks.get('b')!.nick, 'alice3');
});

test('server password and TLS upstream; tls_verify refuses a self-signed certificate', async () => {
  const irc = await ngircd({ tls: true, password: 'srvpw' });
  const bnc = await bouncer([userConfig('alice', 'pw', [
    networkFor(irc, { name: 'tls', nick: 'alice', tls: true, tlsVerify: false, serverPassword: 'srvpw' }),
    networkFor(irc, { name: 'strict', nick: 'carol', tls: true, tlsVerify: true, serverPassword: 'srvpw' }),
  ])]);
  await networkReady(bnc, 'alice', 'tls');
  await bnc.waitForLog((r) => r.msg === 'network disconnected' && r.network === 'strict' && /certificate/i.test(String(r.reason)));
  assert.equal(bnc.bouncer.users.get('alice')!.networks.get('strict')!.connected, false);
});

test('SASL PLAIN upstream through irc-framework', async () => {
  let fake: FakeServer | undefined = undefined;
  fake = await startFakeServer((conn, line) => {
    if (line === 'CAP LS 302') conn.send(':fake.test CAP * LS :sasl=PLAIN multi-prefix extended-join server-time');
    else if (line.startsWith('CAP REQ')) conn.send(`:fake.test CAP * ACK :${line.slice(line.indexOf(':') + 1)}`);
    else if (line === 'AUTHENTICATE PLAIN') conn.send('AUTHENTICATE +');
    else if (line.startsWith('AUTHENTICATE ')) {
      const [, user, pass] = Buffer.from(line.slice(13), 'base64').toString().split('\0');
      if (user === 'acct' && pass === 'secret') {
        conn.send(':fake.test 900 alice alice!id@host.test acct :You are now logged in as acct');
        conn.send(':fake.test 903 alice :SASL authentication successful');
      } else conn.send(':fake.test 904 alice :SASL authentication failed');
    } else if (line === 'CAP END') welcome(conn, 'alice');
  });
  cleanup.push(() => fake!.close());
  const bnc = await bouncer([userConfig('alice', 'pw', [{
    name: 'sasl', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    sasl: { account: 'acct', password: 'secret' }, channels: [], modules: [], flood: { rate: 0, burst: 5 }, playbackLines: 10,
  }])]);
  await networkReady(bnc, 'alice', 'sasl');
  const conn = fake.conns[0]!;
  assert.ok(conn.lines.includes('AUTHENTICATE PLAIN'));
  // Only the capabilities the bouncer can pass on unchanged were requested.
  const req = conn.lines.find((l) => l.startsWith('CAP REQ'))!;
  assert.deepEqual(req.slice(req.indexOf(':') + 1).split(' ').sort(), ['sasl', 'server-time']);
});

test('PING timeout: a silent network is dropped and reconnected', async () => {
  const fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) welcome(conn, 'alice');
    // Never answers PING.
  });
  cleanup.push(() => fake.close());
  const bnc = await bouncer([userConfig('alice', 'pw', [{
    name: 'silent', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    channels: [], modules: [], flood: { rate: 0, burst: 5 }, playbackLines: 10,
  }])], { pingIntervalMs: 200, pingTimeoutMs: 200, sweepMs: 50 });
  await networkReady(bnc, 'alice', 'silent');
  await fake.waitForLine((l) => l === 'PING :otrbnc');
  await bnc.waitForLog((r) => r.msg === 'ping timeout');
  await fake.waitForLine((_l, c) => c !== fake.conns[0] && c.lines.some((x) => x.startsWith('USER')));
});

test('outgoing flood limit: a burst, then the configured rate', async () => {
  const fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) welcome(conn, 'alice');
  });
  cleanup.push(() => fake.close());
  const bnc = await bouncer([userConfig('alice', 'pw', [{
    name: 'slow', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    channels: [], modules: [], flood: { rate: 10, burst: 3 }, playbackLines: 10,
  }])]);
  await networkReady(bnc, 'alice', 'slow');
  const c = track(await bnc.login('alice', { pass: 'alice/slow:pw' }));
  const t0 = Date.now();
  for (let i = 0; i < 8; i++) c.send(`PRIVMSG bob :m${i}`);
  await fake.waitForLine((l) => l === 'PRIVMSG bob :m7');
  const took = Date.now() - t0;
  // 3 at once, then 5 more at 10/s: about 500 ms.
  assert.ok(took >= 400, `8 lines took ${took} ms`);
  assert.ok(took < 3000, `8 lines took ${took} ms`);
  const got = fake.conns[0]!.lines.filter((l) => l.startsWith('PRIVMSG bob'));
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `PRIVMSG bob :m${i}`));
});

test('shutdown: lines a module sends on shutdown and lines held by the flood limit go out before QUIT', async () => {
  const fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) welcome(conn, 'alice');
  });
  cleanup.push(() => fake.close());
  const bnc = await startBnc([userConfig('alice', 'pw', [{
    name: 'slow', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    channels: [], modules: ['echo'], flood: { rate: 0.5, burst: 1 }, playbackLines: 10,
  }])]);
  await networkReady(bnc, 'alice', 'slow');
  const c = track(await bnc.login('alice', { pass: 'alice/slow:pw' }));
  c.send('PRIVMSG bob :q1');
  c.send('PRIVMSG bob :q2');
  c.send('PRIVMSG bob :q3');
  await fake.waitForLine((l) => l === 'PRIVMSG bob :q1');
  await bnc.stop();
  const conn = await fake.waitForLine((l) => l.startsWith('QUIT'));
  const tail = conn.lines.filter((l) => /^(PRIVMSG|QUIT)/.test(l));
  assert.deepEqual(tail, ['PRIVMSG bob :q1', 'PRIVMSG bob :q2', 'PRIVMSG bob :q3', 'PRIVMSG bob :shutdown-bye', 'QUIT :otrbnc shutting down']);
});

test('own prefix from a WHO on ourselves when 001 does not carry it; the WHO reply is not relayed', async () => {
  const fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) {
      conn.send(':fake.test 001 alice :Welcome to the network alice');
      conn.send(':fake.test 005 alice CHANTYPES=# :are supported by this server');
    } else if (line === 'WHO alice') {
      conn.send(':fake.test 352 alice * ~al cloak/alice fake.test alice H :0 Alice');
      conn.send(':fake.test 315 alice alice :End of /WHO list.');
    }
  });
  cleanup.push(() => fake.close());
  const bnc = await bouncer([userConfig('alice', 'pw', [{
    name: 'n', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    channels: [], modules: ['echo'], flood: { rate: 0, burst: 5 }, playbackLines: 10,
  }])]);
  await networkReady(bnc, 'alice', 'n');
  await bnc.waitForLog((r) => r.msg === 'own prefix from WHO' && r.prefix === 'alice!~al@cloak/alice');
  const c = track(await bnc.login('alice', { pass: 'alice/n:pw' }));
  c.send('PRIVMSG *echo :info');
  await c.waitFor(/:\*echo!echo@otrbnc PRIVMSG alice :nick=alice prefix=alice!~al@cloak\/alice /);
  assert.equal(c.find(/ 352 | 315 /, 0), undefined);
});

test('two networks reading at once: a line split over reads arrives whole, whatever the other network reads meanwhile', async () => {
  const fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) welcome(conn, conn.lines.find((l) => l.startsWith('NICK '))!.slice(5));
  });
  cleanup.push(() => fake.close());
  const net = (name: string, nick: string) => ({
    name, host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick,
    channels: [], modules: [], flood: { rate: 0, burst: 5 }, playbackLines: 10,
  });
  const bnc = await bouncer([userConfig('alice', 'pw', [net('a', 'alice'), net('b', 'alicia')])]);
  await networkReady(bnc, 'alice', 'a');
  await networkReady(bnc, 'alice', 'b');
  const ca = track(await bnc.login('alice', { pass: 'alice/a:pw' }));
  const cb = track(await bnc.login('alicia', { pass: 'alice/b:pw' }));
  const connA = await fake.waitForLine((l) => l === 'NICK alice');
  const connB = await fake.waitForLine((l) => l === 'NICK alicia');
  for (let i = 0; i < 3; i++) {
    connA.socket.write(`:bob!b@h PRIVMSG alice :${i} first half, caf${'\u00e9'.repeat(100)}`);
    connA.socket.write(Buffer.from('\u00e9').subarray(0, 1));
    connB.send(`:carol!c@h PRIVMSG alicia :${i} ${'z'.repeat(3000)}`);
    await cb.waitFor(new RegExp(`^:carol!c@h PRIVMSG alicia :${i} z{3000}$`));
    connA.socket.write(Buffer.concat([Buffer.from('\u00e9').subarray(1), Buffer.from(' second half\r\n')]));
    await ca.waitFor(new RegExp(`^:bob!b@h PRIVMSG alice :${i} first half, caf\u00e9{101} second half$`));
  }
});
