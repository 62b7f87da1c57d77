import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDsaKey } from '../../src/otr/keygen.ts';
import { fingerprint, formatFingerprint } from '../../src/otr/dsa.ts';
import { serializePrivateKeys, serializeFingerprints, serializeInstanceTags, parseFingerprints, parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import { runOtrCli, otrStorageDir } from './cli.ts';

async function run(args: string[], dataDir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOtrCli(args, dataDir, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const BOB_FP = '94A1353B60A58E7382CE8999CBBD7B925E9EBB87';
const CAROL_FP = '378A84453FC3933C73C917C8BFE4C18B5CE65CFC';

test('import irssi-otr files, list, trust and distrust offline', async () => {
  const root = await mkdtemp(join(tmpdir(), 'otr-cli-'));
  try {
    const irssi = join(root, 'irssi-otr');
    await mkdir(irssi);
    const key = await generateDsaKey();
    const acct = 'alice@irc.example.org';
    await writeFile(join(irssi, 'otr.private_key'), serializePrivateKeys([{ account: acct, protocol: 'IRC', key }]));
    await writeFile(join(irssi, 'otr.fingerprints'), serializeFingerprints([
      { peer: 'bob', account: acct, protocol: 'IRC', fingerprint: BOB_FP, trust: 'verified' },
      { peer: 'Carol', account: acct, protocol: 'IRC', fingerprint: CAROL_FP, trust: '' },
    ]));
    await writeFile(join(irssi, 'otr.instance_tags'), serializeInstanceTags([{ account: acct, protocol: 'IRC', instanceTag: 0x12345678 }]));
    const data = join(root, 'data');

    const imp = await run(['import', '--user', 'alice', '--network', 'libera', '--from', irssi], data);
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, new RegExp(formatFingerprint(fingerprint(key))));
    assert.match(imp.out, /Imported 2 fingerprints/);

    const dir = otrStorageDir(data, 'alice', 'libera');
    for (const f of ['otr.key', 'otr.fp', 'otr.instag']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    const keys = parsePrivateKeys(await readFile(join(dir, 'otr.key')));
    assert.deepEqual(keys.map((k) => [k.account, k.protocol]), [['alice', 'irc']]);

    const list = await run(['fingerprints', '--user', 'alice', '--network', 'libera'], data);
    assert.equal(list.code, 0);
    assert.match(list.out, /bob +│ 94A1353B 60A58E73 82CE8999 CBBD7B92 5E9EBB87 │ manual/);
    assert.match(list.out, /carol +│ 378A8445 .* │ not trusted/);
    assert.match(list.out, /Your fingerprint: /);

    const t = await run(['trust', '--user', 'alice', '--network', 'libera', 'CAROL'], data);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /trusted/);
    const d = await run(['distrust', '--user', 'alice', '--network', 'libera', '94a1353b 60a58e73 82ce8999 cbbd7b92 5e9ebb87'], data);
    assert.equal(d.code, 0, d.err);
    const fps = parseFingerprints(await readFile(join(dir, 'otr.fp'), 'utf8'));
    assert.deepEqual(fps.map((f) => [f.peer, f.trust]).sort(), [['bob', ''], ['carol', 'verified']]);

    const again = await run(['distrust', '--user', 'alice', '--network', 'libera', 'bob'], data);
    assert.match(again.out, /was not trusted/);
    const none = await run(['trust', '--user', 'alice', '--network', 'libera', 'zed'], data);
    assert.equal(none.code, 1);

    // A different key is not replaced without --overwrite.
    const other = await generateDsaKey();
    await writeFile(join(irssi, 'otr.private_key'), serializePrivateKeys([{ account: acct, protocol: 'IRC', key: other }]));
    const refused = await run(['import', '--user', 'alice', '--network', 'libera', '--key', join(irssi, 'otr.private_key')], data);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--overwrite/);
    const forced = await run(['import', '--user', 'alice', '--network', 'libera', '--key', join(irssi, 'otr.private_key'), '--overwrite'], data);
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, new RegExp(formatFingerprint(fingerprint(other))));
  } finally {
    await rm(root, { recursive: true });
  }
});

test('several accounts in the source need --account; wrong use gets the usage', async () => {
  const root = await mkdtemp(join(tmpdir(), 'otr-cli-'));
  try {
    const src = join(root, 'otr.fingerprints');
    await writeFile(src, serializeFingerprints([
      { peer: 'bob', account: 'a@x', protocol: 'IRC', fingerprint: BOB_FP, trust: '' },
      { peer: 'carol', account: 'b@y', protocol: 'IRC', fingerprint: CAROL_FP, trust: '' },
    ]));
    const data = join(root, 'data');
    const many = await run(['import', '--user', 'u', '--network', 'n', '--fingerprints', src], data);
    assert.equal(many.code, 2);
    assert.match(many.err, /several accounts \(a@x, b@y\)/);
    const one = await run(['import', '--user', 'u', '--network', 'n', '--fingerprints', src, '--account', 'b@y'], data);
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /Imported 1 fingerprint /);
    assert.equal((await run(['fingerprints', '--network', 'n'], data)).code, 2);
    assert.equal((await run(['bogus', '--user', 'u', '--network', 'n'], data)).code, 2);
    assert.match((await run(['import', '--user', 'u', '--network', 'n'], data)).err, /Nothing to import/);
    assert.equal((await run(['--help'], data)).code, 0);
  } finally {
    await rm(root, { recursive: true });
  }
});
