import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLine, buildLine, messageLine, parsePrefix, prefixNick, decodeTags, encodeTags, rawTag, actionText, isoTime, overIrcBody, textLines, isLineToken } from './message.ts';

test('parseLine: tags, prefix, command, middle and trailing params', () => {
  const m = parseLine('@time=2020-01-01T00:00:00.000Z;msgid=a\\sb :nick!id@host PRIVMSG #chan :hello  world')!;
  assert.equal(m.tags, 'time=2020-01-01T00:00:00.000Z;msgid=a\\sb');
  assert.equal(m.prefix, 'nick!id@host');
  assert.equal(m.command, 'PRIVMSG');
  assert.deepEqual(m.params, ['#chan', 'hello  world']);
  assert.equal(m.bodyStart, m.tags.length + 2);
  assert.deepEqual(parseLine('ping  x   y')!.params, ['x', 'y']);
  assert.equal(parseLine('ping')!.command, 'PING');
  assert.deepEqual(parseLine('PRIVMSG a :')!.params, ['a', '']);
  assert.deepEqual(parseLine('PRIVMSG a ::x')!.params, ['a', ':x']);
  assert.equal(parseLine(''), null);
  assert.equal(parseLine('@tagsonly'), null);
  assert.equal(parseLine(':prefixonly'), null);
});

test('parseLine never throws and buildLine round-trips params', () => {
  fc.assert(fc.property(fc.string(), (s) => { parseLine(s); }));
  const word = fc.stringMatching(/^[^\s:\r\n\0][^\s\r\n\0]*$/);
  const trailing = fc.stringMatching(/^[^\r\n\0]*$/);
  fc.assert(fc.property(fc.array(word, { maxLength: 5 }), trailing, (mid, last) => {
    const line = buildLine('srv', 'CMD', [...mid, last]);
    assert.deepEqual(parseLine(line)!.params, [...mid, last]);
  }));
});

test('messageLine always puts the text in a trailing parameter', () => {
  assert.equal(messageLine('a!b@c', 'PRIVMSG', 'bob', 'x'), ':a!b@c PRIVMSG bob :x');
  assert.equal(messageLine('', 'NOTICE', 'bob', ''), 'NOTICE bob :');
});

test('prefix parsing', () => {
  assert.deepEqual(parsePrefix('n!i@h'), { nick: 'n', ident: 'i', host: 'h' });
  assert.deepEqual(parsePrefix('server.name'), { nick: 'server.name', ident: '', host: '' });
  assert.deepEqual(parsePrefix('n@h'), { nick: 'n', ident: '', host: 'h' });
  assert.equal(prefixNick('n!i@h'), 'n');
  assert.equal(prefixNick('n@h'), 'n');
});

test('tags: decode/encode escapes, rawTag without decoding', () => {
  const t = decodeTags('a=1;b=x\\sy\\:z\\\\;c;d=');
  assert.deepEqual({ ...t }, { a: '1', b: 'x y;z\\', c: '', d: '' });
  assert.deepEqual({ ...decodeTags(encodeTags({ k: 'a b;c\\d\r\n' })) }, { k: 'a b;c\\d\r\n' });
  assert.equal(rawTag('time=T;batch=b', 'time'), 'T');
  assert.equal(rawTag('timex=1;time=T', 'time'), 'T');
  assert.equal(rawTag('a;b=2', 'a'), '');
  assert.equal(rawTag('a=1', 'b'), undefined);
  assert.equal(rawTag('', 'a'), undefined);
});

test('actionText and isoTime', () => {
  assert.equal(actionText('\x01ACTION waves\x01'), 'waves');
  assert.equal(actionText('\x01ACTION waves'), 'waves');
  assert.equal(actionText('\x01ACTION\x01'), '');
  assert.equal(actionText('\x01ACTIONX\x01'), undefined);
  assert.equal(actionText('\x01VERSION\x01'), undefined);
  assert.equal(actionText('plain'), undefined);
  assert.equal(isoTime(0), '1970-01-01T00:00:00.000Z');
  assert.equal(isoTime(1), '1970-01-01T00:00:00.001Z');
});

test('overIrcBody counts UTF-8 bytes after the given offset', () => {
  assert.equal(overIrcBody('x'.repeat(510)), false);
  assert.equal(overIrcBody('x'.repeat(511)), true);
  assert.equal(overIrcBody('é'.repeat(255)), false);
  assert.equal(overIrcBody('é'.repeat(256)), true);
  assert.equal(overIrcBody('@tag=ééé ' + 'x'.repeat(510), 9), false);
  assert.equal(overIrcBody('@tag=ééé ' + 'x'.repeat(511), 9), true);
});

test('textLines: one message per line, whatever the line break; NUL made visible; no empty lines', () => {
  assert.deepEqual(textLines('plain text'), ['plain text']);
  assert.deepEqual(textLines(''), ['']);
  assert.deepEqual(textLines('a\r\nb\nc\rd'), ['a', 'b', 'c', 'd']);
  assert.deepEqual(textLines('one\r\n:evil!e@e PRIVMSG alice :spoof\r\n'), ['one', ':evil!e@e PRIVMSG alice :spoof']);
  assert.deepEqual(textLines('\n\r\n\r'), []);
  assert.deepEqual(textLines('nul\0here'), ['nul\ufffdhere']);
  for (const l of textLines('x\r\ny\nz\0\r')) assert.doesNotMatch(l, /[\r\n\0]/);
});

test('isLineToken: one middle parameter, nothing that could end or split a line', () => {
  for (const ok of ['bob', '#chan', 'peer.example', '~u', 'a[]{}']) assert.ok(isLineToken(ok), ok);
  for (const bad of ['', 'a b', 'bob\r\nQUIT', 'x\0', ':bob', 'tab\there']) assert.ok(!isLineToken(bad), JSON.stringify(bad));
});
