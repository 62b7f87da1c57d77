import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuth, parseAuthq, parseNick, parseTrustArg, parseGenkey, parseListArg, firstWord } from './parse.ts';
import { T } from './texts.ts';

test('firstWord keeps the rest untouched', () => {
  assert.deepEqual(firstWord('  bob  the old  man '), { word: 'bob', rest: 'the old  man ' });
  assert.deepEqual(firstWord(''), { word: '', rest: '' });
});

test('nick commands: missing, extra, invalid', () => {
  assert.deepEqual(parseNick('bob'), { ok: true, nick: 'bob' });
  assert.deepEqual(parseNick(' [bob]|away '), { ok: true, nick: '[bob]|away' });
  assert.deepEqual(parseNick(''), { ok: false, error: T.missingNick });
  assert.deepEqual(parseNick('bob carol'), { ok: false, error: T.tooManyArgs });
  assert.equal(parseNick('b*b').ok, false);
  assert.equal(parseNick('1bob').ok, false);
});

test('auth: the secret is the rest of the line, spaces inside kept', () => {
  assert.deepEqual(parseAuth('bob the old man and the sea'), { ok: true, nick: 'bob', secret: 'the old man and the sea' });
  assert.deepEqual(parseAuth('bob'), { ok: false, error: T.noSecret });
  assert.deepEqual(parseAuth('bob    '), { ok: false, error: T.noSecret });
  assert.deepEqual(parseAuth(''), { ok: false, error: T.missingNick });
});

test('authq: question in literal square brackets after the nick', () => {
  assert.deepEqual(parseAuthq('bob [What is my favorite book (no caps)?] the old man and the sea'),
    { ok: true, nick: 'bob', question: 'What is my favorite book (no caps)?', secret: 'the old man and the sea' });
  assert.deepEqual(parseAuthq('bob [is it [x]?] y z'), { ok: true, nick: 'bob', question: 'is it [x]?', secret: 'y z' });
  assert.deepEqual(parseAuthq('bob what? blue'), { ok: false, error: T.noQuestion });
  assert.deepEqual(parseAuthq('bob [what? blue'), { ok: false, error: T.closingBracketMissing });
  assert.deepEqual(parseAuthq('bob [what?]'), { ok: false, error: T.noSecret });
  assert.deepEqual(parseAuthq('bob [what?]    '), { ok: false, error: T.noSecret });
  assert.deepEqual(parseAuthq('bob [ ] x'), { ok: false, error: T.emptyQuestion });
  assert.deepEqual(parseAuthq(''), { ok: false, error: T.missingNick });
  assert.equal(parseAuthq('"what colour?" bob blue').ok, false);
});

test('trust argument: nick or fingerprint with or without spaces, any case', () => {
  assert.deepEqual(parseTrustArg('bob'), { ok: true, nick: 'bob' });
  const fp = '94A1353B60A58E7382CE8999CBBD7B925E9EBB87';
  assert.deepEqual(parseTrustArg('94a1353b 60a58e73 82ce8999 cbbd7b92 5e9ebb87'), { ok: true, fingerprint: fp });
  assert.deepEqual(parseTrustArg(fp.toLowerCase()), { ok: true, fingerprint: fp });
  assert.deepEqual(parseTrustArg(''), { ok: false, error: T.missingNick });
  assert.equal(parseTrustArg('94a1353b 60a58e73').ok, false);
});

test('genkey options', () => {
  assert.deepEqual(parseGenkey(''), { ok: true, overwrite: false });
  assert.deepEqual(parseGenkey('--overwrite'), { ok: true, overwrite: true });
  assert.deepEqual(parseGenkey('--really'), { ok: false, error: T.unknownOption('--really') });
  assert.deepEqual(parseGenkey('now'), { ok: false, error: T.tooManyArgs });
});

test('ignore/enable arguments', () => {
  assert.deepEqual(parseListArg(''), { ok: true, op: 'list' });
  assert.deepEqual(parseListArg('Guest*'), { ok: true, op: 'add', pattern: 'Guest*' });
  assert.deepEqual(parseListArg('--remove carol'), { ok: true, op: 'remove', pattern: 'carol' });
  assert.deepEqual(parseListArg('--remove'), { ok: false, error: T.missingNick });
  assert.deepEqual(parseListArg('a b'), { ok: false, error: T.tooManyArgs });
  assert.deepEqual(parseListArg('--bogus'), { ok: false, error: T.unknownOption('--bogus') });
});
