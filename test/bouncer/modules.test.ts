// The module host with the echo test module: every hook, halt and rewrite both ways, the virtual nick,
// replies kept while detached, storage dir and atomic writes, sendToNetwork / deliverToClients, shutdown.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { connectAndRegister, type IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';

let irc: Ngircd;
let bnc: Bnc;
let bob: IrcClient;
let c: IrcClient;

before(async () => {
  irc = await startNgircd();
  bob = await connectAndRegister(irc.port, 'bob');
  bnc = await startBnc([userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice', modules: ['echo'] })])]);
  await networkReady(bnc, 'alice', 'net');
  c = await bnc.login('alice', { pass: 'alice/net:pw' });
});

after(async () => {
  c?.socket.destroy();
  bob?.socket.destroy();
  await bnc?.stop();
  await irc?.stop();
});

const E = /^(@\S+ )?:\*echo!echo@otrbnc PRIVMSG \S+ :/;
async function echo(cmd: string, expect: RegExp): Promise<string> {
  c.mark();
  c.send(`PRIVMSG *echo :${cmd}`);
  return c.waitFor((l) => E.test(l) && expect.test(l.replace(E, '')));
}

test('virtual nick: commands, generated help table, unknown command, a throwing command', async () => {
  await echo('ping', /^pong$/);
  await echo('PING', /^pong$/);
  await echo('help', /Command\s+\| Arguments/);
  await c.waitFor(/\| send\s+\| <target> <text>\s+\| sendToNetwork/);
  await echo('nope', /^Unknown command "nope"\. Try: help$/);
  await echo('boom', /^Error in boom: boom$/);
  await bob.sync();
  assert.equal(bob.find(/PRIVMSG.*(ping|nope|boom)/i, 0), undefined, 'lines to *echo never leave the bouncer');
  c.send('PRIVMSG *nosuch :hello');
  await c.waitFor(/ 401 alice \*nosuch :No such module/);
});

test('outgoing hooks: continue, rewrite, halt; the echo to other clients shows the rewritten text', async () => {
  const other = await bnc.login('alice', { pass: 'alice/net:pw' });
  c.send('PRIVMSG bob :plain');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :plain$/);
  c.send('PRIVMSG bob :up: loud');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :UP: LOUD$/);
  await other.waitFor(/PRIVMSG bob :UP: LOUD$/);
  c.send('PRIVMSG bob :halt: secret');
  c.send('PRIVMSG bob :\x01ACTION up: waves\x01');
  await bob.waitFor(/PRIVMSG bob :\x01ACTION UP: WAVES\x01$/);
  c.send('NOTICE bob :a notice');
  await bob.waitFor(/NOTICE bob :a notice$/);
  assert.equal(bob.find(/secret/, 0), undefined);
  await other.sync();
  assert.equal(other.find(/secret/, 0), undefined, 'a halted line is not echoed either');
  // Several targets: the hooks see one message per target.
  c.send('PRIVMSG bob,*echo :up: two');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :UP: TWO$/);
  await c.waitFor(/:\*echo!echo@otrbnc PRIVMSG alice :Unknown command "up:"/);
  // handled: the module sent its own form; the other clients see what the user typed.
  c.send('PRIVMSG bob :handled: mine');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :H\(handled: mine\)$/);
  await other.waitFor(/^:alice!\S+ PRIVMSG bob :handled: mine$/);
  assert.equal(bob.find(/PRIVMSG bob :handled: mine$/, 0), undefined);
  await echo('events', /out:privmsg:bob:plain \| out:privmsg:bob:up: loud \| out:privmsg:bob:halt: secret \| out:action:bob:up: waves \| out:notice:bob:a notice \| out:privmsg:bob:up: two/);
  await other.close();
  await echo('events', /detach$/);
});

test('with outgoing hooks, a message over 512 bytes reaches the module (it may split it) instead of a 417', async () => {
  c.mark();
  c.send(`PRIVMSG bob :halt: ${'z'.repeat(600)}`);
  await c.sync();
  assert.equal(c.find(/ 417 /), undefined);
  await echo('events', new RegExp(`out:privmsg:bob:halt: z{600}`));
});

test('incoming hooks: continue, rewrite, halt, action', async () => {
  bob.send('PRIVMSG alice :hi');
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :hi$/);
  bob.send('PRIVMSG alice :up: shout');
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :UP: SHOUT$/);
  bob.send('PRIVMSG alice :halt: hidden');
  bob.send('PRIVMSG alice :handled: eaten');
  bob.send('PRIVMSG alice :\x01ACTION up: dances\x01');
  await c.waitFor(/^:bob!\S+ PRIVMSG alice :\x01ACTION UP: DANCES\x01$/);
  assert.equal(c.find(/hidden|eaten/, 0), undefined);
  await echo('events', /in:privmsg:bob:hi \| in:privmsg:bob:up: shout \| in:privmsg:bob:halt: hidden \| in:privmsg:bob:handled: eaten \| in:action:bob:up: dances/);
});

test('peer QUIT, peer and own NICK', async () => {
  const carol = await connectAndRegister(irc.port, 'carol');
  carol.send('JOIN #q');
  await carol.waitFor(/ 366 carol #q /);
  c.send('JOIN #q');
  await c.waitFor(/^:alice!\S+ JOIN :?#q$/);
  carol.send('NICK carol2');
  await c.waitFor(/^:carol!\S+ NICK :?carol2$/);
  await carol.close('bye');
  await c.waitFor(/^:carol2!\S+ QUIT :/);
  c.send('NICK alice9');
  await c.waitFor(/^:alice!\S+ NICK :?alice9$/);
  await echo('events', /nick:carol>carol2:false \| quit:carol2 \| nick:alice>alice9:true/);
  c.send('NICK alice');
  await c.waitFor(/NICK :?alice$/);
});

test('context: own prefix, casemapping, storage dir 0700 and atomic 0600 writes', async () => {
  const line = await echo('info', /^nick=alice prefix=alice!~?alice@\S+ connected=true clients=1 chan=true eq=(true|false) dir=\S+$/);
  const dir = /dir=(\S+)$/.exec(line)![1]!;
  assert.equal(dir, join(bnc.config.dataDir, 'users', 'alice', 'networks', 'net', 'echo'));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  await echo('save state.txt hello there', /^saved$/);
  assert.equal(readFileSync(join(dir, 'state.txt'), 'utf8'), 'hello there');
  assert.equal(statSync(join(dir, 'state.txt')).mode & 0o777, 0o600);
  await echo('save ../escape x', /^Error in save: invalid file name/);
});

test('sendToNetwork bypasses hooks; deliverToClients reaches clients as if from the network', async () => {
  c.send('PRIVMSG *echo :send bob halt: not halted');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :halt: not halted$/);
  c.mark();
  c.send('PRIVMSG *echo :deliver dave delivered text');
  await c.waitFor(/^:dave!x@peer\.example PRIVMSG alice :delivered text$/);
});

test('a module cannot add protocol lines: line breaks in its text make separate messages, a bad target or prefix is dropped', async () => {
  // To the network: two PRIVMSGs to bob; "QUIT :x" arrives as text, and alice is still connected.
  c.send('PRIVMSG *echo :send bob first\\r\\nQUIT :x\\rlast');
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :first$/);
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :QUIT :x$/);
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :last$/);
  // To the clients: each line from dave, the spoofed prefix only as text; NUL made visible.
  c.mark();
  const from = c.lines.length;
  c.send('PRIVMSG *echo :deliver dave one\\n:evil!e@e PRIVMSG alice :spoofed\\r\\ntwo\\0three');
  await c.waitFor(/^:dave!x@peer\.example PRIVMSG alice :two\ufffdthree$/);
  const got = c.lines.slice(from);
  assert.deepEqual(got.filter((l) => !l.startsWith(':*echo')), [
    ':dave!x@peer.example PRIVMSG alice :one',
    ':dave!x@peer.example PRIVMSG alice ::evil!e@e PRIVMSG alice :spoofed',
    ':dave!x@peer.example PRIVMSG alice :two\ufffdthree',
  ]);
  // A reply of the virtual nick, the same.
  await echo('say a\\rb', /^a$/);
  await c.waitFor(/^:\*echo!echo@otrbnc PRIVMSG alice :b$/);
  // Targets and prefixes that would break the line: nothing is sent, the module bug is logged.
  c.send('PRIVMSG *echo :send bob\\r\\nQUIT hidden');
  await bnc.waitForLog((r) => r.msg === 'module message dropped: invalid target');
  c.send('PRIVMSG *echo :deliver da\\nve text');
  await bnc.waitForLog((r) => r.msg === 'module message dropped: invalid nick');
  await bob.sync();
  await c.sync();
  assert.equal(bob.find(/hidden/, 0), undefined);
  assert.equal(c.find(/PRIVMSG alice :text$/, from), undefined);
  await echo('ping', /^pong$/); // still connected and registered
});

test('detached: replies and deliveries are kept and arrive on attach; attach/detach/connected hooks', async () => {
  const net = bnc.bouncer.users.get('alice')!.networks.get('net')!;
  await c.close();
  await bnc.waitForLog((r) => r.msg === 'client detached' && net.clients.length === 0);
  net.modules!.command('*echo', 'ping');
  net.modules!.command('*echo', 'deliver erin while away');
  c = await bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
  // Merged in time order: the reply was made first and comes first, unless both fell in the same
  // millisecond (then the playback line leads), so the test accepts either order.
  const kept = [/^@time=\S+ :erin!x@peer\.example PRIVMSG alice :while away$/, /^@time=\S+ :\*echo!echo@otrbnc PRIVMSG alice :pong$/];
  const first = await c.waitFor((l) => kept.some((re) => re.test(l)));
  await c.waitFor(kept.find((re) => !re.test(first))!);
  await echo('events', /^events: connected \| attach .*\| detach \| attach$/);
});

test('shutdown: onShutdown runs and its line reaches the network before QUIT', async () => {
  bob.mark();
  await bnc.stop();
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :shutdown-bye$/);
});
