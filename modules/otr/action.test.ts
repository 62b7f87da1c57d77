import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionToPlaintext, plaintextToMessage } from './action.ts';

test('/me inside OTR round-trips as an ACTION', () => {
  assert.equal(actionToPlaintext('waves'), '/me waves');
  assert.deepEqual(plaintextToMessage('/me waves'), { kind: 'action', text: 'waves' });
  assert.deepEqual(plaintextToMessage(actionToPlaintext('')), { kind: 'action', text: '' });
  assert.deepEqual(plaintextToMessage('/meh'), { kind: 'privmsg', text: '/meh' });
  assert.deepEqual(plaintextToMessage('hi /me'), { kind: 'privmsg', text: 'hi /me' });
});
