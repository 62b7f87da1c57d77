import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderInfo, trustName } from './info-table.ts';
import { T } from './texts.ts';

const FP_BOB = '94A1353B60A58E7382CE8999CBBD7B925E9EBB87';
const FP_C1 = '378A84453FC3933C73C917C8BFE4C18B5CE65CFC';
const FP_C2 = 'AEB4DEDE5D025A1C6A735BD57D82385A7E03E21D';

test('info renders the seed\'s table', () => {
  const lines = renderInfo(
    [
      { nick: 'carol', state: 'encrypted', active: FP_C1, fingerprints: [{ fingerprint: FP_C2, trust: '' }, { fingerprint: FP_C1, trust: 'smp' }] },
      { nick: 'bob', state: 'plaintext', fingerprints: [{ fingerprint: FP_BOB, trust: 'verified' }] },
      { nick: 'dave', state: 'plaintext', fingerprints: [] },
    ],
    T.yourFingerprint('A305FE90 2B4A8038 03BF89F7 5BBD5595 4B9D209A'),
  );
  assert.deepEqual(lines, [
    '+-------+-----------+----------------------------------------------+-----+---------------+',
    '| Peer  | State     | Fingerprint                                  | Act | Trust         |',
    '+-------+-----------+----------------------------------------------+-----+---------------+',
    '| bob   | plaintext | 94A1353B 60A58E73 82CE8999 CBBD7B92 5E9EBB87 |     | manual        |',
    '| carol | encrypted | 378A8445 3FC3933C 73C917C8 BFE4C18B 5CE65CFC |  *  | shared secret |',
    '|       |           | AEB4DEDE 5D025A1C 6A735BD5 7D82385A 7E03E21D |     | not trusted   |',
    '+-------+-----------+----------------------------------------------+-----+---------------+',
    'Your fingerprint: A305FE90 2B4A8038 03BF89F7 5BBD5595 4B9D209A.',
  ]);
});

test('info with no fingerprints says so (B5)', () => {
  assert.deepEqual(renderInfo([{ nick: 'carol', state: 'plaintext', fingerprints: [] }], 'Your fingerprint: X.'),
    [T.infoNoFingerprints, 'Your fingerprint: X.']);
});

test('every row fits one IRC line, even with a long nick and odd trust text', () => {
  const long = 'n'.repeat(200);
  const lines = renderInfo([{ nick: long, state: 'finished', fingerprints: [{ fingerprint: FP_BOB, trust: 'x'.repeat(300) + '\r\n' }] }], 'Y');
  const prefix = `:*otr!otr@otrbnc PRIVMSG ${'u'.repeat(30)} :`;
  for (const l of lines) {
    assert.ok(Buffer.byteLength(prefix + l + '\r\n') <= 512, l);
    assert.doesNotMatch(l, /[\r\n\x1b]/);
  }
  assert.ok(lines.some((l) => l.includes('finished')));
});

test('trust names', () => {
  assert.equal(trustName(''), 'not trusted');
  assert.equal(trustName('smp'), 'shared secret');
  assert.equal(trustName('verified'), 'manual');
  assert.equal(trustName('manual'), 'manual');
  assert.equal(trustName('custom'), 'custom');
});
