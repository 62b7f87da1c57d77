import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T } from './texts.ts';
import { COMMANDS } from './commands.ts';

/** Every text of the module, with sample arguments. */
function allTexts(): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'function') out.push(String((v as (...a: unknown[]) => unknown)('bob', 'ignore', 'Guest*')));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(T);
  return out;
}

test('B1: colour codes are well formed (\\x03 + two digits, or \\x03 then a non-digit to end)', () => {
  for (const t of allTexts()) {
    assert.doesNotMatch(t, /[\x00\x01\x04-\x0e\x10-\x1f]/, JSON.stringify(t));
    for (const m of t.matchAll(/\x03/g)) {
      const after = t.slice(m.index + 1, m.index + 3);
      assert.ok(/^\d\d/.test(after) || !/^[\d,]/.test(after), JSON.stringify(t));
    }
    assert.equal((t.match(/\x02/g) ?? []).length % 2, 0, `unpaired bold in ${JSON.stringify(t)}`);
  }
  assert.match(T.securityNote[0]!, /^\x0304WARNING:\x03 /);
});

test('B10: no typos of the reference, sentences end with a period', () => {
  const all = allTexts().join('\n');
  assert.doesNotMatch(all, /comand|veryfing/i);
  assert.match(T.authPendingAnswer('bob'), /\.$/);
  assert.match(T.authAlreadyRunning('bob'), /\.$/);
});

test('texts are single lines', () => {
  for (const t of allTexts()) assert.doesNotMatch(t, /[\r\n]/);
});

test('nothing *otr tells the user looks like OTR to an OTR-capable client (irssi 1.4 has OTR built in and hid a help row with "?OTR?" in it)', () => {
  const toUser = allTexts().filter((t) => t !== T.unreadableErrorToPeer('bob')); // that one goes to the peer
  for (const c of COMMANDS) toUser.push(c.name, c.args, c.help);
  for (const t of toUser) {
    assert.doesNotMatch(t, /\?OTR/, JSON.stringify(t));
    assert.ok(!t.includes(' \t  \t\t\t\t \t \t \t  '), `whitespace tag in ${JSON.stringify(t)}`);
  }
});
