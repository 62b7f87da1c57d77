// Login (right and wrong, PASS forms, SASL), relay both ways, multi-client echo, attach burst.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { connectAndRegister, type IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';

let irc: Ngircd;
let bnc: Bnc;
let bob: IrcClient;
const open: IrcClient[] = [];

before(async () => {
  irc = await startNgircd();
  const stored = await hashPassword('pw', { N: 1 << 10, r: 8, p: 1 });
  bnc = await startBnc([
    userConfig('alice', stored, [
      networkFor(irc, { name: 'net', nick: 'alice', channels: ['#room'] }),
      networkFor(irc, { name: 'other', nick: 'alice2' }),
    ]),
  ]);
  await networkReady(bnc, 'alice', 'net');
  await networkReady(bnc, 'alice', 'other');
  // A first client sees the bouncer's JOIN, then bob's: from then on the bouncer's state has both.
  const first = await bnc.login('alice', { pass: 'alice/net:pw' });
  await first.waitFor(/ 366 alice #room /);
  bob = await connectAndRegister(irc.port, 'bob');
  bob.send('JOIN #room');
  await first.waitFor(/^:bob!\S+ JOIN :?#room$/);
  await first.close();
});

after(async () => {
  for (const c of open) c.socket.destroy();
  bob?.socket.destroy();
  await bnc?.stop();
  await irc?.stop();
});

async function login(nick: string, reg: Parameters<Bnc['login']>[1]): Promise<IrcClient> {
  const c = await bnc.login(nick, reg);
  open.push(c);
  return c;
}

test('PASS user/network:password attaches with 001–005, channel burst and the network nick', async () => {
  const c = await login('whatever', { pass: 'alice/net:pw' });
  assert.match(c.lines[0]!, / 001 alice /);
  await c.waitFor(/ 005 alice .*CASEMAPPING=/);
  await c.waitFor(/ 422 alice /);
  await c.waitFor(/^:alice!\S+ JOIN #room$/);
  await c.waitFor(/ 353 alice = #room :.*bob/);
  await c.waitFor(/ 366 alice #room /);
});

test('relay both ways: private and channel messages', async () => {
  const c = await login('alice', { pass: 'alice/net:pw' });
  await c.waitFor(/ 366 alice #room /);
  bob.send('PRIVMSG alice :hello alice');
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :hello alice$/);
  bob.send('PRIVMSG #room :hello room');
  await c.waitFor(/^:bob!\S+ PRIVMSG #room :hello room$/);
  c.send('PRIVMSG bob :hi bob');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :hi bob$/);
  c.send('PRIVMSG #room :hi room');
  await bob.waitFor(/^:alice!\S+ PRIVMSG #room :hi room$/);
});

test('PASS user:password picks the first network; USER user/network picks another', async () => {
  const a = await login('x', { pass: 'alice:pw' });
  assert.match(a.lines[0]!, / 001 alice /);
  const b = await login('y', { pass: 'pw', user: 'alice/other' });
  assert.match(b.lines[0]!, / 001 alice2 /);
});

test('SASL PLAIN through CAP, with user/network as authcid', async () => {
  const c = await login('s', { caps: ['server-time'], sasl: { user: 'alice/other', pass: 'pw' } });
  assert.match(c.lines.find((l) => / 001 /.test(l))!, / 001 alice2 /);
  const bad = await bnc.connect();
  open.push(bad);
  await assert.rejects(bad.register('s', { sasl: { user: 'alice', pass: 'nope' } }), /SASL failed.*904/);
});

test('wrong password: 464 and ERROR, then the socket closes', async () => {
  const c = await bnc.connect();
  open.push(c);
  await assert.rejects(c.register('x', { pass: 'alice/net:wrong' }), /464/);
  await c.waitFor(/^ERROR :/);
  await c.waitClosed();
  const d = await bnc.connect();
  open.push(d);
  await assert.rejects(d.register('x', { pass: 'nobody/net:pw' }), /464/);
  const e = await bnc.connect();
  open.push(e);
  await assert.rejects(e.register('x', { pass: 'alice/nonet:pw' }), /464/);
});

test('several clients: one client\'s message is shown to the others; echo-message echoes to itself', async () => {
  const a = await login('alice', { pass: 'alice/net:pw', caps: ['echo-message'] });
  const b = await login('alice', { pass: 'alice/net:pw' });
  b.mark();
  a.mark();
  a.send('PRIVMSG bob :from a');
  await bob.waitFor(/PRIVMSG bob :from a$/);
  await b.waitFor(/^:alice!\S+ PRIVMSG bob :from a$/);
  await a.waitFor(/^:alice!\S+ PRIVMSG bob :from a$/);
  a.mark();
  b.send('PRIVMSG #room :from b');
  await a.waitFor(/^:alice!\S+ PRIVMSG #room :from b$/);
  await b.sync();
  assert.equal(b.find(/PRIVMSG #room :from b/), undefined, 'no echo without echo-message');
  bob.send('PRIVMSG alice :to both');
  await a.waitFor(/PRIVMSG alice :to both$/);
  await b.waitFor(/PRIVMSG alice :to both$/);
});

test('server-time: relayed lines carry @time', async () => {
  const c = await login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
  await c.waitFor(/ 366 alice #room /);
  bob.send('PRIVMSG alice :timed');
  const l = await c.waitFor(/PRIVMSG alice :timed$/);
  assert.match(l, /^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :bob!/);
});

test('TOPIC and its setter are part of the attach burst', async () => {
  const c = await login('alice', { pass: 'alice/net:pw' });
  await c.waitFor(/ 366 alice #room /);
  bob.send('TOPIC #room :the topic here');
  await c.waitFor(/^:bob!\S+ TOPIC #room :the topic here$/);
  const d = await login('alice', { pass: 'alice/net:pw' });
  await d.waitFor(/ 332 alice #room :the topic here$/);
  await d.waitFor(/ 333 alice #room bob!\S+ \d+$/);
});

test('TLS listener', async () => {
  const { makeSelfSignedCert } = await import('../harness/tls.ts');
  const { IrcClient } = await import('../harness/irc-client.ts');
  const stored = 'pw';
  const tb = await startBnc([userConfig('alice', stored, [networkFor(irc, { name: 'net', nick: 'alicetls' })])], {}, (cfg, dir) => {
    const cert = makeSelfSignedCert(dir);
    cfg.listen.push({ host: '127.0.0.1', port: 0, tls: true, cert: cert.certFile, key: cert.keyFile });
  });
  try {
    await networkReady(tb, 'alice', 'net');
    const c = await IrcClient.connect(tb.ports[1]!, { tls: true, name: 'tls' });
    open.push(c);
    await c.register('x', { pass: 'alice/net:pw' });
    assert.match(c.lines[0]!, / 001 alicetls /);
  } finally {
    await tb.stop();
  }
});
