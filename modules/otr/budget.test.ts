import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privmsgTextBudget, IRC_LINE_MAX } from './budget.ts';

test('budget: the relayed line with our prefix and CRLF is exactly 512 bytes', () => {
  const prefix = { nick: 'alice', ident: '~alice', hostname: 'host.example.org' };
  const budget = privmsgTextBudget(prefix, 'alice', 'bob');
  const line = `:alice!~alice@host.example.org PRIVMSG bob :${'x'.repeat(budget)}\r\n`;
  assert.equal(Buffer.byteLength(line), IRC_LINE_MAX);
});

test('budget: multi-byte nicks and hosts count in bytes', () => {
  const prefix = { nick: 'älice', ident: 'u', hostname: 'h' };
  const budget = privmsgTextBudget(prefix, 'älice', 'böb');
  assert.equal(Buffer.byteLength(`:älice!u@h PRIVMSG böb :${'x'.repeat(budget)}\r\n`), IRC_LINE_MAX);
});

test('budget: an unknown prefix assumes a long ident and host', () => {
  const unknown = privmsgTextBudget(undefined, 'alice', 'bob');
  const known = privmsgTextBudget({ nick: 'alice', ident: 'a', hostname: 'b' }, 'alice', 'bob');
  assert.ok(unknown < known);
  const worst = `:alice!${'i'.repeat(10)}@${'h'.repeat(63)} PRIVMSG bob :${'x'.repeat(unknown)}\r\n`;
  assert.equal(Buffer.byteLength(worst), IRC_LINE_MAX);
});
