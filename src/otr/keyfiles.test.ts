import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  KeyFileError,
  parseFingerprints,
  parseInstanceTags,
  parsePrivateKeys,
  serializeFingerprints,
  serializeInstanceTags,
  serializePrivateKeys,
} from './keyfiles.ts';
import { fingerprint, type DsaPrivateKey } from './dsa.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, PRIVATE_KEY_FILE } from './key-store.ts';

// A real 1024/160 DSA key as libotr 4.1.1 wrote it (test key, never used for anything else).
const LIBOTR_FILE = `(privkeys
 (account
(name alice)
(protocol irc)
(private-key 
 (dsa 
  (p #00CAB09DA139D241A415FBCFAF0E05736366AE27E9EF67EE83B335C908E00AAA05D87473FF30BCA968612032B054D5371D393EE942360730851A152AACB79B95590299DE02FBB5234A9AFC7E90656A3E2A8E15DD4B17EDA148F6A818E9EC9297049C2D31A906BAB9EB4785401882FCFFB76B183EA9EA20A146A3965037A1D2A4D7#)
  (q #0086F25E7572DC0C8AB1BD9E242B404CA3D0968EBF#)
  (g #5EC15D96B9490DA3DEF4DF2B7A0C6F596B66FECD200B3BA954074CBCA72F46A84938250D774A8435A5695D1C9F4EE9B7F850FB4AFBA87FA51F9D3C365556E678613A6B60BA53D971E77C9598AD8BB4EFB35457AE9347BBA9333B4802C37252F37B5A6C7E4C97CFC5F83E0FB2175ECEAAC75820EC1E0809956B88505622E1C705#)
  (y #009848D544346742F4E8EB2FB4DCADDDB7646BE5111887694730B1E0826EC57950AD91DBCD238299F797845372442A4CE056214D0242CF3FB5BD0CAD6A6A9E1C0754DF9FE5715CCFE324E203A3E4810D257BDA75CD4C9ADBBEC96D42D70FCB251FDBF16DB8CE58C858C8D126439AAAF178E8D97E304E8163991959709D07F37BFA#)
  (x #0A2B7D45E9E77EA237B4BE65AF0C0170449FE787#)
  )
 )
 )
)
`;
// libotr reported this fingerprint for the key above.
const LIBOTR_FP = '19CA5F667DDE1B3DDDC4656500AF8B387D0388EF';

function key(): DsaPrivateKey {
  return parsePrivateKeys(LIBOTR_FILE)[0]!.key;
}

test('reads a private key file written by libotr, with libotr\'s fingerprint', () => {
  const [e, ...rest] = parsePrivateKeys(LIBOTR_FILE, 'otr.private_key');
  assert.equal(rest.length, 0);
  assert.equal(e!.account, 'alice');
  assert.equal(e!.protocol, 'irc');
  assert.equal(fingerprint(e!.key), LIBOTR_FP);
});

test('private keys: several accounts, quoted names, round trip byte for byte', () => {
  const k = key();
  const entries = [
    { account: 'alice', protocol: 'irc', key: k },
    { account: 'nick@irc.libera.chat', protocol: 'prpl-irc', key: k },
    { account: 'we "quote" \\ and tab\t and ü', protocol: 'irc', key: k },
  ];
  const text = serializePrivateKeys(entries);
  assert.match(text, /\(name "nick@irc.libera.chat"\)/);
  assert.deepEqual(parsePrivateKeys(text), entries);
  assert.equal(serializePrivateKeys(parsePrivateKeys(text)), text);
  // Our layout of a libotr file is libotr's own layout.
  assert.equal(serializePrivateKeys(parsePrivateKeys(LIBOTR_FILE)), LIBOTR_FILE);
});

test('private keys: the other libgcrypt spellings of atoms read the same', () => {
  const hexOf = (n: bigint) => { let h = n.toString(16); if (h.length % 2) h = '0' + h; return h; };
  const k = key();
  const b64 = (n: bigint) => `|${Buffer.from(hexOf(n), 'hex').toString('base64')}|`;
  const verb = (s: string) => `${Buffer.byteLength(s)}:${s}`;
  const spaced = (n: bigint) => '#' + hexOf(n).replace(/(.{16})/g, '$1\n   ') + '#';
  const text = `  (privkeys(account(name ${verb('al ice')})(protocol "ir\\x63")
    (private-key(dsa(p ${spaced(k.p)})(q ${b64(k.q)})(g #${hexOf(k.g)}#)(y ${b64(k.y)})(x #00${hexOf(k.x)}#)))))\r\n`;
  const [e] = parsePrivateKeys(text);
  assert.equal(e!.account, 'al ice');
  assert.equal(e!.protocol, 'irc');
  assert.deepEqual(e!.key, k);
  assert.deepEqual(parsePrivateKeys('(privkeys)'), []);
});

test('private keys: malformed files give KeyFileError naming the file and the problem', () => {
  const k = key();
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['   \n', /empty/],
    ['(privkeys', /not closed/],
    ['(privkeys))', /after the closing/],
    ['(pubkeys)', /not a libotr private key file/],
    ['privkeys', /not a libotr private key file/],
    ['(privkeys (foo))', /expected "\(account/],
    ['(privkeys (account (protocol irc)))', /missing \(name/],
    ['(privkeys (account (name a) (protocol irc)))', /missing \(private-key/],
    ['(privkeys (account (name a) (protocol irc) (private-key (rsa (n #01#)))))', /unsupported key type "rsa"/],
    ['(privkeys (account (name a) (protocol irc) (private-key (dsa (p #01#)))))', /without its "q"/],
    ['(privkeys (account (name a) (protocol irc) (private-key (dsa (p #0G#)))))', /invalid character in hex/],
    ['(privkeys (account (name a) (protocol irc) (private-key (dsa (p #012#)))))', /odd number/],
    ['(privkeys (account (name "a) (protocol irc)))', /quoted string not closed/],
    ['(privkeys (account (name "a\\q") (protocol irc)))', /bad escape/],
    ['(privkeys (account (name 99:a)))', /past the end/],
    ['(privkeys (account (name |@@|)))', /invalid base64/],
    ['(privkeys (account (name a) (protocol irc) \u0001))', /unexpected character/],
    ['('.repeat(100) + ')'.repeat(100), /too deep/],
    [LIBOTR_FILE.replace('(x #0A2B', '(x #0B2B'), /y does not match x/],
    [serializePrivateKeys([{ account: 'a', protocol: 'irc', key: { ...k, q: k.q + 2n } }]), /q does not divide/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parsePrivateKeys(text, '/data/otr.private_key'), (e: unknown) => {
      assert.ok(e instanceof KeyFileError, `${JSON.stringify(text.slice(0, 40))}: ${e}`);
      assert.match(e.message, /^\/data\/otr\.private_key: /);
      assert.match(e.message, re, `${JSON.stringify(text.slice(0, 60))}`);
      return true;
    });
  }
  // Positions are reported for syntax errors.
  assert.throws(() => parsePrivateKeys('(privkeys\n  (account (name "x)))', 'f'), /f: line 2, column 18: quoted string not closed/);
});

test('private keys: random garbage never throws anything but KeyFileError', () => {
  const pieces = fc.constantFrom('(', ')', '#', '"', '|', '\\', ' ', '\n', 'privkeys', 'account', 'name', 'dsa',
    'private-key', 'protocol', 'p', 'q', 'x', '#00FF#', '3:abc', '"x\\"', '|AAAA|', 'ü', '12', ':');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 40 }), fc.string(), (parts, s) => {
      for (const text of [parts.join(''), s, LIBOTR_FILE.slice(0, s.length * 7)]) {
        try {
          parsePrivateKeys(text, 'f');
        } catch (e) {
          if (!(e instanceof KeyFileError)) throw e;
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('fingerprints: libotr lines parse to upper-case hex, write back as libotr writes them', () => {
  const libotr = 'bob\talice\tirc\t19ca5f667dde1b3dddc4656500af8b387d0388ef\tsmp\n' +
    'carol\talice\tirc\teafe8707e8374cbc0ec9f27ea14623344750c79c\t\n';
  const list = parseFingerprints(libotr, 'otr.fingerprints');
  assert.deepEqual(list, [
    { peer: 'bob', account: 'alice', protocol: 'irc', fingerprint: '19CA5F667DDE1B3DDDC4656500AF8B387D0388EF', trust: 'smp' },
    { peer: 'carol', account: 'alice', protocol: 'irc', fingerprint: 'EAFE8707E8374CBC0EC9F27EA14623344750C79C', trust: '' },
  ]);
  assert.equal(serializeFingerprints(list), libotr);
  // Missing trust column, CRLF, blank lines.
  assert.deepEqual(parseFingerprints('\r\nbob\ta\tirc\t' + 'ab'.repeat(20) + '\r\n\n').map((e) => e.trust), ['']);
});

test('fingerprints and instance tags: malformed lines are reported with file and line', () => {
  const fp = 'ab'.repeat(20);
  const bad: [string, RegExp][] = [
    ['bob alice irc ' + fp, /line 1: expected peer, account/],
    [`ok\ta\tirc\t${fp}\tsmp\nbob\talice\tirc\t${fp.slice(2)}\tsmp`, /line 2: fingerprint must be 40 hex/],
    [`bob\talice\tirc\t${fp.replace('a', 'g')}\t`, /fingerprint must be 40 hex/],
    [`\talice\tirc\t${fp}\t`, /line 1: empty peer name/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseFingerprints(text, 'fp.txt'), (e: unknown) => e instanceof KeyFileError && /^fp\.txt: /.test(e.message) && re.test(e.message));
  }
  const badTags: [string, RegExp][] = [
    ['alice\tirc', /line 1: expected account, protocol and instance tag/],
    ['# c\nalice\tirc\tzz', /line 2: instance tag must be/],
    ['alice\tirc\t000000ff', /below 0x100/],
    ['alice\tirc\t123456789', /instance tag must be/],
  ];
  for (const [text, re] of badTags) {
    assert.throws(() => parseInstanceTags(text, 'tags'), (e: unknown) => e instanceof KeyFileError && /^tags: /.test(e.message) && re.test(e.message));
  }
  assert.throws(() => serializeFingerprints([{ peer: 'a\tb', account: 'x', protocol: 'irc', fingerprint: fp, trust: '' }]), /tab/);
  assert.throws(() => serializeInstanceTags([{ account: 'a', protocol: 'irc', instanceTag: 5 }]), /invalid instance tag/);
});

test('instance tags: libotr\'s file reads, and ours round-trips', () => {
  const libotr = "# WARNING! You shouldn't copy this file to another computer. It is unnecessary and can cause problems.\nalice\tirc\t592991ca\n";
  const tags = parseInstanceTags(libotr);
  assert.deepEqual(tags, [{ account: 'alice', protocol: 'irc', instanceTag: 0x592991ca }]);
  assert.equal(serializeInstanceTags(tags), libotr);
  const many = [...tags, { account: 'nick@net', protocol: 'prpl-irc', instanceTag: 0xffffffff }, { account: 'b', protocol: 'irc', instanceTag: 0x100 }];
  assert.deepEqual(parseInstanceTags(serializeInstanceTags(many)), many);
});

test('libotr wrote x as a quoted string of raw bytes (libgcrypt does when they print): read from the file bytes', async () => {
  // A bench key libotr 4.1.1 generated (test key only): `(x "Y.[!\xEC\xD6\xFB…")`, bytes ≥ 0x80 written raw.
  const path = new URL('../../test/fixtures/libotr-quoted-x.key', import.meta.url);
  const bytes = readFileSync(path);
  assert.ok(bytes.includes(Buffer.from('(x "')), 'the fixture has a quoted x');
  const [e] = parsePrivateKeys(bytes, 'alice.key'); // checks y = g^x mod p
  assert.equal(e!.account, 'alice@bench');
  // Our writer puts x back as hex; reading that gives the same key.
  assert.deepEqual(parsePrivateKeys(serializePrivateKeys([e!]))[0]!.key, e!.key);
  // Through the engine's key store (the *otr module's own store is tested in modules/otr/file-store.test.ts).
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-quoted-x-'));
  try {
    writeFileSync(join(dir, PRIVATE_KEY_FILE), bytes);
    assert.deepEqual(new KeyStore(dir).loadAccountSync('alice@bench', 'irc').privateKey, e!.key);
    assert.deepEqual((await new KeyStore(dir).loadAccount('alice@bench', 'irc')).privateKey, e!.key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
