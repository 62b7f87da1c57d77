// Bad input from clients gets an IRC error or is dropped with a log line; it never crashes the bouncer or
// disturbs another user.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { connectAndRegister, type IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';

let irc: Ngircd;
let bnc: Bnc;
let bob: IrcClient;
let other: IrcClient;
const open: IrcClient[] = [];

before(async () => {
  irc = await startNgircd();
  bob = await connectAndRegister(irc.port, 'bob');
  bnc = await startBnc([
    userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice' })]),
    userConfig('carol', 'pw', [networkFor(irc, { name: 'net', nick: 'carol' })]),
  ], { loginMaxFailures: 3 });
  await networkReady(bnc, 'alice', 'net');
  await networkReady(bnc, 'carol', 'net');
  other = await bnc.login('carol', { pass: 'carol/net:pw' });
});

after(async () => {
  for (const c of open) c.socket.destroy();
  other?.socket.destroy();
  bob?.socket.destroy();
  await bnc?.stop();
  await irc?.stop();
});

async function alice(): Promise<IrcClient> {
  const c = await bnc.login('alice', { pass: 'alice/net:pw' });
  open.push(c);
  return c;
}

/** The other user still relays both ways. */
async function otherStillWorks(tag: string): Promise<void> {
  other.send(`PRIVMSG bob :still here ${tag}`);
  await bob.waitFor(`PRIVMSG bob :still here ${tag}`);
  bob.send(`PRIVMSG carol :ack ${tag}`);
  await other.waitFor(`PRIVMSG carol :ack ${tag}`);
}

test('over-long lines: 417, with or without a newline in sight; the connection stays usable', async () => {
  const c = await alice();
  c.send(`PRIVMSG bob :${'x'.repeat(6000)}`);
  await c.waitFor(/ 417 alice :Input line was too long$/);
  // Within the tag allowance, but more than IRC's 512 bytes without the tags: refused too.
  c.mark();
  c.send(`@+draft/x=1 PRIVMSG bob :${'é'.repeat(260)}`);
  await c.waitFor(/ 417 alice /);
  c.mark();
  c.sendRaw('PRIVMSG bob :' + 'y'.repeat(70_000));
  c.sendRaw('z'.repeat(10_000) + '\r\nPRIVMSG bob :after long\r\n');
  await c.waitFor(/ 417 alice /);
  await bob.waitFor(/PRIVMSG bob :after long$/);
  assert.equal(bob.find(/yyyy|xxxx|zzzz|éééé/, 0), undefined);
  await bnc.waitForLog((r) => r.msg === 'over-long line dropped');
  await otherStillWorks('long');
});

test('invalid UTF-8 and NUL: the line is dropped with FAIL and a log line; the next line passes', async () => {
  const c = await alice();
  c.sendRaw(Buffer.concat([Buffer.from('PRIVMSG bob :bad '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\nPRIVMSG bob :good one\r\n')]));
  await c.waitFor(/ FAIL \* INVALID_UTF8 :Line dropped: invalid UTF-8$/);
  await bob.waitFor(/PRIVMSG bob :good one$/);
  c.sendRaw(Buffer.from('PRIVMSG bob :nul\0here\r\nPRIVMSG bob :good two\r\n'));
  await c.waitFor(/Line dropped: NUL byte$/);
  await bob.waitFor(/PRIVMSG bob :good two$/);
  assert.equal(bob.find(/bad|nul/, 0), undefined);
  await bnc.waitForLog((r) => r.msg === 'line dropped: invalid UTF-8');
  c.send('PRIVMSG bob :ünïcödé ok');
  await bob.waitFor(/PRIVMSG bob :ünïcödé ok$/);
});

test('commands before registration: 451; unknown commands: 421 (ours or the network\'s)', async () => {
  const c = await bnc.connect();
  open.push(c);
  c.send('JOIN #x');
  await c.waitFor(/ 451 \* :You have not registered$/);
  c.send('PRIVMSG bob :sneaky');
  await c.waitFor(/ 451 /);
  await c.register('alice', { pass: 'alice/net:pw' });
  c.send('F@O bar');
  await c.waitFor(/ 421 alice F@O :Unknown command$/);
  c.send('FROBNICATE bar');
  await c.waitFor(/ 421 alice FROBNICATE :Unknown command/);
  c.send('USER again 0 * :x');
  await c.waitFor(/ 462 alice :You may not reregister$/);
  assert.equal(bob.find(/sneaky/, 0), undefined);
});

test('a flood of lines before registration closes the connection', async () => {
  const c = await bnc.connect();
  open.push(c);
  c.sendRaw('PING :x\r\n'.repeat(100));
  await c.waitFor(/^ERROR :Closing link: Too many lines before registration$/);
  await c.waitClosed();
  await otherStillWorks('preflood');
});

test('a flood after registration is relayed in order without loss or harm to others', async () => {
  const c = await alice();
  const n = 3000;
  let batch = '';
  for (let i = 0; i < n; i++) batch += `PRIVMSG bob :flood ${i}\r\n`;
  c.sendRaw(batch);
  await bob.waitFor(`PRIVMSG bob :flood ${n - 1}`, 20_000);
  const got = bob.lines.filter((l) => l.includes(' PRIVMSG bob :flood ')).map((l) => Number(l.split(' ').pop()));
  assert.equal(got.length, n);
  assert.ok(got.every((v, i) => v === i), 'in order');
  await otherStillWorks('flood');
});

test('wrong passwords are rate limited per address', async () => {
  for (let i = 0; i < 3; i++) {
    const c = await bnc.connect();
    open.push(c);
    await assert.rejects(c.register('x', { pass: 'alice/net:nope' }), /464/);
  }
  const c = await bnc.connect();
  open.push(c);
  // Even the right password is refused while the address is blocked.
  await assert.rejects(c.register('x', { pass: 'alice/net:pw' }), /Too many failed logins/);
  await bnc.waitForLog((r) => r.msg === 'login refused: too many failures from this address');
  await otherStillWorks('guess');
});
