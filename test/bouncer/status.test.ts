// Every *status command, with right and wrong input; changes persist to the config file.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import type { IrcClient } from '../harness/irc-client.ts';
import { networkFor, userConfig } from '../harness/bouncer.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { startBnc, networkReady, type Bnc } from './setup.ts';

let irc: Ngircd;
let bnc: Bnc;
let c: IrcClient;

before(async () => {
  irc = await startNgircd();
  bnc = await startBnc([userConfig('alice', 'pw', [networkFor(irc, { name: 'net', nick: 'alice' })])]);
  await networkReady(bnc, 'alice', 'net');
  c = await bnc.login('alice', { pass: 'alice/net:pw' });
});

after(async () => {
  c?.socket.destroy();
  await bnc?.stop();
  await irc?.stop();
});

const S = /^:\*status!status@otrbnc PRIVMSG alice :/;

async function status(cmd: string, expect: RegExp): Promise<string> {
  c.mark();
  c.send(`PRIVMSG *status :${cmd}`);
  return c.waitFor((l) => S.test(l) && expect.test(l.replace(S, '')));
}

test('help is a table of every command', async () => {
  await status('help', /Command\s+\|\s+Arguments\s+\|\s+Description/);
  for (const name of ['listnetworks', 'addnetwork', 'delnetwork', 'connect', 'disconnect', 'jump', 'listclients', 'listmods', 'loadmod', 'unloadmod', 'version', 'uptime']) {
    await c.waitFor(new RegExp(`^:\\*status!status@otrbnc PRIVMSG alice :\\| ${name}\\s+\\|`));
  }
  await status('nonsense', /^Unknown command "nonsense"\. Try: help$/);
  await status('HELP', /Command/);
  // help [filter]: a name prefix or a wildcard, any case
  const rows = async (cmd: string) => {
    c.mark();
    const from = c.lines.length;
    c.send(`PRIVMSG *status :${cmd}`);
    await c.sync(); // the whole table has arrived
    return c.lines.slice(from).filter((l) => S.test(l) && /^\| \S/.test(l.replace(S, ''))).map((l) => l.replace(S, '').split('|')[1]!.trim())
      .filter((name) => name !== 'Command'); // the header row
  };
  assert.deepEqual(await rows('help list'), ['listnetworks', 'listclients', 'listmods']);
  assert.deepEqual(await rows('help *NET*'), ['listnetworks', 'addnetwork', 'delnetwork']);
  await status('help zzz', /^No command matches "zzz"\. Usage: help \[filter\]$/);
});

test('version and uptime', async () => {
  await status('version', /^otrbnc \d+\.\d+\.\d+ on Node\.js v\d+/);
  await status('uptime', /^Up \d+d \d+h \d+m \d+s$/);
});

test('listnetworks and listclients', async () => {
  await status('listnetworks', /\| net\s+\| 127\.0\.0\.1 \d+\s+\| connected\s+\| alice\s+\| 1\s+\|/);
  await status('listclients', /\| \d+ \(you\) \| net\s+\| 127\.0\.0\.1 \| alice \|/);
});

test('addnetwork validates, connects, persists; delnetwork removes and persists', async () => {
  await status('addnetwork', /^Usage: addnetwork <name> <host> \[\+\]<port> \[nick\]$/);
  await status(`addnetwork two 127.0.0.1 notaport`, /^Not a port: notaport/);
  await status(`addnetwork net 127.0.0.1 ${irc.port}`, /already have a network named net/);
  await status(`addnetwork two 127.0.0.1 ${irc.port} alicetwo`, /^Network two added\. Connecting to 127\.0\.0\.1 \d+/);
  await networkReady(bnc, 'alice', 'two');
  const saved = loadConfigFile(bnc.configFile).config.users[0]!.networks.map((n) => n.name);
  assert.deepEqual(saved, ['net', 'two']);
  const two = await bnc.login('x', { pass: 'alice/two:pw' });
  assert.match(two.lines[0]!, / 001 alicetwo /);
  await status('delnetwork', /^Usage: delnetwork <name>$/);
  await status('delnetwork nope', /^No network named nope/);
  await status('delnetwork two', /^Network two deleted\.$/);
  await two.waitFor(/Network two was deleted/);
  assert.deepEqual(loadConfigFile(bnc.configFile).config.users[0]!.networks.map((n) => n.name), ['net']);
  assert.equal(bnc.bouncer.users.get('alice')!.networks.has('two'), false);
  two.socket.destroy();
});

test('disconnect, connect, jump', async () => {
  await status('disconnect nope', /^No network named nope/);
  c.mark();
  c.send('PRIVMSG *status :disconnect');
  await c.waitFor(/Disconnected from net/);
  await c.waitFor(/:Disconnected net\.$/);
  await status('disconnect', /^net is not connected\.$/);
  c.send('PRIVMSG bob :while away');
  await c.waitFor(/You are not connected to net|not connected/);
  c.mark();
  c.send('PRIVMSG *status :connect');
  await c.waitFor(/:Connecting net/);
  await c.waitFor(/Connected to net as alice/);
  await status('connect', /^net is already connected\.$/);
  c.mark();
  c.send('PRIVMSG *status :jump');
  await c.waitFor(/:Jumping to 127\.0\.0\.1 \d+/);
  await c.waitFor(/Disconnected from net/);
  await c.waitFor(/Connected to net as alice/);
});

test('listmods, loadmod, unloadmod (persisted)', async () => {
  await status('listmods', /\| echo\s+\|\s+\|/);
  await status('loadmod', /^Usage: loadmod <module>$/);
  await status('loadmod nosuch', /^Cannot load nosuch: no module named nosuch$/);
  await status('loadmod ../etc', /^Cannot load \.\.\/etc: invalid module name/);
  await status('loadmod echo', /^Loaded module echo on net\. Talk to it as \*echo\.$/);
  await status('loadmod echo', /already loaded/);
  assert.deepEqual(loadConfigFile(bnc.configFile).config.users[0]!.networks[0]!.modules, ['echo']);
  await status('listmods', /\| echo\s+\| loaded \| Test module/);
  await status('unloadmod', /^Usage: unloadmod <module>$/);
  await status('unloadmod echo', /^Unloaded module echo from net\.$/);
  await bnc.waitForLog((r) => r.msg === 'echo unloaded');
  await status('unloadmod echo', /is not loaded/);
  assert.deepEqual(loadConfigFile(bnc.configFile).config.users[0]!.networks[0]!.modules, []);
  // The config file keeps what it had besides.
  assert.match(readFileSync(bnc.configFile, 'utf8'), /net:/);
});

test('a user without networks gets 001 and *status, adds a network, and logs in to it', async () => {
  const b2 = await startBnc([userConfig('dave', 'pw', [])]);
  try {
    const d = await b2.login('dave', { pass: 'dave:pw' });
    assert.match(d.lines[0]!, / 001 dave /);
    await d.waitFor(/\*status!status@otrbnc PRIVMSG dave :You have no network yet/);
    d.send('PRIVMSG bob :nowhere');
    await d.waitFor(/You are not attached to a network/);
    d.send('PRIVMSG *status :listnetworks');
    await d.waitFor(/You have no networks/);
    d.send(`PRIVMSG *status :addnetwork home 127.0.0.1 ${irc.port}`);
    await d.waitFor(/Network home added/);
    await networkReady(b2, 'dave', 'home');
    const e = await b2.login('x', { pass: 'dave/home:pw' });
    assert.match(e.lines[0]!, / 001 dave /);
    d.socket.destroy();
    e.socket.destroy();
  } finally {
    await b2.stop();
  }
});
