// Keys and fingerprints from libotr (as irssi-otr, pidgin-otr and ZNC's otr module write them) come
// in through `otrbnc otr import` and work; `otrbnc otr fingerprints|trust` read and change what the
// module stored. The CLI runs as its own process (the real entry point) on the bouncer's data dir;
// the module is loaded afterwards with /msg *status loadmod otr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBouncer, REPO_ROOT } from '../harness/bouncer.ts';
import { LibotrPeer } from '../interop/libotr-peer.ts';
import { startWorld, otrSays, otrText } from './world.ts';
import { parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import { fingerprint, publicPart } from '../../src/otr/dsa.ts';

async function cli(dataDir: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  // cwd: the repository, where tsx resolves (the data dir is given explicitly).
  const p = spawnBouncer({ args: ['--data-dir', dataDir, 'otr', ...args], cwd: REPO_ROOT });
  const { code } = await p.exited(30_000);
  return { code, out: p.stdout() + p.stderr() };
}

test('import a libotr key (irssi-otr account name), load the module, and talk with it; trust offline', async () => {
  const src = mkdtempSync(join(tmpdir(), 'irssi-otr-'));
  const w = await startWorld({ modules: [] });
  try {
    // irssi-otr's files: account "alice@irc.example.org", protocol "IRC", written by libotr itself.
    const maker = await LibotrPeer.start({ account: 'alice@irc.example.org', protocol: 'IRC' });
    const aliceFp = await maker.genkey(join(src, 'otr.private_key'));
    await maker.writeInstags(join(src, 'otr.instance_tags')).catch(() => undefined);
    await maker.close();

    const imp = await cli(w.bnc.dataDir, 'import', '--user', 'alice', '--network', 'net', '--from', src);
    assert.equal(imp.code, 0, imp.out);
    assert.match(imp.out, new RegExp(aliceFp.match(/.{8}/g)!.join(' ')));

    w.alice.mark();
    w.alice.send('PRIVMSG *status :loadmod otr');
    await otrSays(w, /WARNING/);
    w.alice.send('PRIVMSG bob :?OTR?');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
    const g = await w.bob.otr.nextEv('gone_secure');
    assert.equal(g.fingerprint, aliceFp, 'bob sees the imported key');

    // Offline: the CLI lists bob's fingerprint and trusts it (the bouncer keeps running; the
    // module's next write would win, so we unload it first, as the usage says).
    w.alice.send('PRIVMSG *status :unloadmod otr');
    await w.alice.waitFor(/unloaded|Unloaded/);
    const bobFp = w.bob.otr.fingerprint!;
    const list = await cli(w.bnc.dataDir, 'fingerprints', '--user', 'alice', '--network', 'net');
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, new RegExp(`bob .*${bobFp.match(/.{8}/g)!.join(' ')}.*not trusted`));
    const tr = await cli(w.bnc.dataDir, 'trust', '--user', 'alice', '--network', 'net', 'bob');
    assert.equal(tr.code, 0, tr.out);
    const fpFile = readFileSync(join(w.otrDir, 'otr.fp'), 'utf8');
    assert.match(fpFile, new RegExp(`^bob\\talice\\tirc\\t${bobFp.toLowerCase()}\\tverified$`, 'm'));

    w.alice.mark();
    w.alice.send('PRIVMSG *status :loadmod otr');
    await w.alice.waitFor(/Loaded module otr/);
    await w.bob.otr.finish('alice');
    w.alice.send('PRIVMSG bob :?OTR?');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02\. Please/); // verified: no "(not verified)", no hints
  } finally {
    await w.stop();
    rmSync(src, { recursive: true, force: true });
  }
});

test('a ZNC otr moddata folder copied in as it is (libotr key with raw-byte x, trusted fingerprint) works', async () => {
  const w = await startWorld({ modules: [] });
  try {
    // libotr 4.1.1 wrote this key with x as a quoted string of raw bytes; ZNC's file names, and a
    // fingerprint file marking bob verified, as ZNC's `trust` leaves it.
    const keyBytes = readFileSync(new URL('../fixtures/libotr-quoted-x.key', import.meta.url));
    const aliceFp = fingerprint(publicPart(parsePrivateKeys(keyBytes)[0]!.key));
    const dir = w.otrDir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'otr.key'), keyBytes, { mode: 0o600 });
    writeFileSync(join(dir, 'otr.fp'), `bob\talice\tirc\t${w.bob.otr.fingerprint!.toLowerCase()}\tverified\n`, { mode: 0o600 });

    w.alice.mark();
    const from = w.alice.lines.length;
    w.alice.send('PRIVMSG *status :loadmod otr');
    await w.alice.waitFor(/Loaded module otr/);
    w.alice.send('PRIVMSG bob :?OTR?');
    await otrSays(w, /^\[bob\] Gone \x02SECURE\x02\. Please/); // bob's fingerprint is verified
    const g = await w.bob.otr.nextEv('gone_secure');
    assert.equal(g.fingerprint, aliceFp, 'bob sees the copied key');
    assert.equal(w.alice.find(/Could not use|no private key/i, from), undefined, 'the copied key was used');
  } finally {
    await w.stop();
  }
});

test('the security note is shown once: a second loadmod (after unloadmod) does not repeat it', async () => {
  const w = await startWorld({ modules: [], withBob: false });
  try {
    const otrLines = (from: number): string[] => w.alice.lines.slice(from).map(otrText).filter((t): t is string => t !== undefined);
    let from = w.alice.lines.length;
    w.alice.send('PRIVMSG *status :loadmod otr');
    await w.alice.waitFor(/Loaded module otr/);
    const first = otrLines(from);
    assert.match(first[0]!, /^\x0304WARNING:\x03 OTR encryption ends at this bouncer/);
    assert.ok(first.some((l) => l.startsWith('Connect to the bouncer over TLS')), first.join('\n'));
    w.alice.send('PRIVMSG *status :unloadmod otr');
    await w.alice.waitFor(/Unloaded module otr/);
    const settings = JSON.parse(readFileSync(join(w.otrDir, 'settings.json'), 'utf8'));
    assert.equal(settings.securityNoteShown, true);
    from = w.alice.lines.length;
    w.alice.send('PRIVMSG *status :loadmod otr');
    await w.alice.waitFor(/Loaded module otr/);
    await w.alice.sync();
    const second = otrLines(from);
    assert.ok(second.some((l) => l.startsWith('No private key yet.')), `the module did talk at load: ${JSON.stringify(second)}`);
    assert.ok(!second.some((l) => /WARNING|ends at this bouncer|over TLS/.test(l)), JSON.stringify(second));
  } finally {
    await w.stop();
  }
});
