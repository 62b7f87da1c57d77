// Random client input, before and after login, must not crash the bouncer or disturb another client.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { userConfig } from '../harness/bouncer.ts';
import type { IrcClient } from '../harness/irc-client.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';
import { startFakeServer, welcome, type FakeServer } from './fake-server.ts';

let fake: FakeServer;
let bnc: Bnc;
let watcher: IrcClient;

before(async () => {
  fake = await startFakeServer((conn, line) => {
    if (line.startsWith('USER')) welcome(conn, 'alice');
  });
  const net = { name: 'net', host: '127.0.0.1', port: fake.port, tls: false, tlsVerify: false, nick: 'alice',
    channels: [], modules: ['echo'], flood: { rate: 0, burst: 5 }, playbackLines: 50 };
  bnc = await startBnc([userConfig('alice', 'pw', [net])], { loginMaxFailures: 1_000_000, loginFailDelayMs: 1 });
  await networkReady(bnc, 'alice', 'net');
  watcher = await bnc.login('alice', { pass: 'alice/net:pw' });
});

after(async () => {
  watcher?.socket.destroy();
  await bnc?.stop();
  await fake?.close();
});

const COMMANDS = ['PRIVMSG', 'NOTICE', 'CAP', 'PASS', 'NICK', 'USER', 'AUTHENTICATE', 'PING', 'JOIN', 'MODE', 'TAGMSG', 'BATCH', '001', ''];
const junk = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('*status', '*echo', '*', '#c', ':', '::', '@', '@a=b', '\x01ACTION', '\x01', 'help', 'addnetwork', 'loadmod', 'PLAIN', '+', 'LS 302', 'REQ :sasl', 'END'),
);
const line = fc.tuple(fc.option(fc.string({ maxLength: 20 })), fc.constantFrom(...COMMANDS), fc.array(junk, { maxLength: 5 }))
  .map(([tags, cmd, params]) => `${tags !== null ? '@' + tags.replace(/[\s\r\n]/g, '') + ' ' : ''}${cmd} ${params.join(' ')}`.replace(/[\r\n]/g, ''));

test('random lines before and after login: no crash, no logged bug, the other client still relays', async () => {
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.boolean(), async (lines, login) => {
    const c = await bnc.connect();
    try {
      if (login) await c.register('alice', { pass: 'alice/net:pw' });
      c.sendRaw(lines.map((l) => l + '\r\n').join(''));
      c.sendRaw(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
      if (!c.closed) await c.sync().catch(() => {});
    } finally {
      c.socket.destroy();
    }
  }), { numRuns: 40 });
  assert.equal(bnc.logs.find((r) => r.msg === 'error handling a client line'), undefined, 'no handler threw');
  watcher.send('PRIVMSG bob :still alive');
  await fake.waitForLine((l) => l === 'PRIVMSG bob :still alive');
});

const NET_COMMANDS = ['PRIVMSG', 'NOTICE', 'JOIN', 'PART', 'KICK', 'QUIT', 'NICK', 'MODE', 'TOPIC', '332', '333', '353', '366', '005', '001', '396', 'CHGHOST', 'PING', 'CAP', 'ERROR_NOT', 'BATCH'];
const netLine = fc.tuple(fc.option(fc.constantFrom('alice!a@h', 'bob!b@h', 'srv', 'x', '')), fc.constantFrom(...NET_COMMANDS), fc.array(junk, { maxLength: 6 }))
  .map(([prefix, cmd, params]) => `${prefix !== null ? ':' + prefix + ' ' : ''}${cmd} ${params.join(' ')}`.replace(/[\r\n\0]/g, ''));

test('random lines from the network: no crash, no logged bug, relay goes on', async () => {
  const up = fake.conns.find((c) => c.lines.some((l) => l.startsWith('USER')))!;
  let n = 0;
  await fc.assert(fc.asyncProperty(fc.array(netLine, { minLength: 1, maxLength: 30 }), async (lines) => {
    for (const l of lines) up.send(l);
    const marker = `marker ${n++}`;
    up.send(`:bob!b@h PRIVMSG alice :${marker}`);
    await watcher.waitFor(`PRIVMSG alice :${marker}`);
  }), { numRuns: 40 });
  assert.equal(bnc.logs.find((r) => r.msg === 'error handling a network line'), undefined, 'no handler threw');
});
