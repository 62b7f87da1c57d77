// End to end through the real CLI: changes made with *status land in the config file, comments kept,
// mode kept, and the next start reads them back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, statSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNgircd, type Ngircd } from '../harness/ngircd.ts';
import { spawnBouncer } from '../harness/bouncer.ts';
import { freePort } from '../harness/net.ts';
import { IrcClient, connectAndRegister } from '../harness/irc-client.ts';
import { loadConfigFile } from '../../src/config/load.ts';

let irc: Ngircd | undefined;
const dir = mkdtempSync(join(tmpdir(), 'otrbnc-persist-'));
after(async () => {
  await irc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const statusReply = (re: RegExp) => (line: string) => /^(@\S+ )?:\*status!status@otrbnc NOTICE |^(@\S+ )?:\*status!\S+ (PRIVMSG|NOTICE) /.test(line) && re.test(line);

test('*status addnetwork / delnetwork are written back keeping comments, and read again on restart', async () => {
  irc = await startNgircd();
  const port = await freePort();
  const file = join(dir, 'otrbnc.yml');
  writeFileSync(file, [
    '# my bouncer (hand-written)',
    'listen:',
    `  - { host: 127.0.0.1, port: ${port}, tls: false }  # loopback only`,
    'users:',
    '  # the only user',
    '  alice:',
    '    password: hunter2   # plain on purpose',
    '',
  ].join('\n'));
  chmodSync(file, 0o640);

  let p = spawnBouncer({ configPath: file });
  await p.waitForOutput(/"msg":"otrbnc running"/);
  let c = await IrcClient.connect(port, { name: 'alice', timeoutMs: 10_000 });
  await c.register('alice', { pass: 'alice:hunter2' });
  c.send(`PRIVMSG *status :addnetwork testnet 127.0.0.1 ${irc.port} alicenick`);
  await c.waitFor(statusReply(/Network testnet added/));
  c.send(`PRIVMSG *status :addnetwork other 127.0.0.1 ${irc.port}`);
  await c.waitFor(statusReply(/Network other added/));
  c.send('PRIVMSG *status :delnetwork other');
  await c.waitFor(statusReply(/Network other deleted/));

  let text = readFileSync(file, 'utf8');
  for (const kept of ['# my bouncer (hand-written)', '# loopback only', '# the only user', '# plain on purpose']) {
    assert.ok(text.includes(kept), `lost ${kept}:\n${text}`);
  }
  assert.equal(statSync(file).mode & 0o777, 0o640);
  let cfg = loadConfigFile(file).config;
  assert.deepEqual(cfg.users[0]!.networks.map((n) => [n.name, n.host, n.port, n.tls, n.nick]), [['testnet', '127.0.0.1', irc.port, false, 'alicenick']]);
  await c.close();
  assert.equal((await p.stop()).code, 0);

  // Next start: the network is there and connects; the file is unchanged by starting.
  const again = spawnBouncer({ configPath: file });
  try {
    await again.waitForOutput(/"msg":"otrbnc running"/);
    await again.waitForOutput(/"network":"testnet".*"msg":"network connected"/);
    const watcher = await connectAndRegister(irc.port, 'watcher');
    c = await IrcClient.connect(port, { name: 'alice', timeoutMs: 10_000 });
    await c.register('alice', { pass: 'alice/testnet:hunter2' });
    c.send('PRIVMSG *status :listnetworks');
    await c.waitFor(statusReply(/testnet/));
    watcher.send('WHOIS alicenick');
    await watcher.waitFor(/ 311 watcher alicenick /, 10_000);
    text = readFileSync(file, 'utf8');
    cfg = loadConfigFile(file).config;
    assert.equal(cfg.users[0]!.networks.length, 1);
    assert.ok(text.includes('# plain on purpose'));
    await c.close();
    await watcher.close();
    assert.equal((await again.stop()).code, 0);
  } finally {
    // A failed step must not leave the child running: it would keep this test file alive.
    if (again.child.exitCode === null) await again.stop('SIGKILL').catch(() => {});
  }
});
