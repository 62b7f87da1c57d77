import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataMessageFlags } from './data-header.ts';

const v3 = (type: number, flags: number) =>
  Buffer.from([0, 3, type, 0, 0, 1, 0, 0, 0, 2, 0, flags, 9, 9, 9]).toString('base64');
const v2 = (type: number, flags: number) => Buffer.from([0, 2, type, flags, 0, 0, 0, 1, 0, 0, 0, 2]).toString('base64');

test('data messages and their ignore-unreadable flag, whole or as a first fragment', () => {
  assert.deepEqual(dataMessageFlags(`?OTR:${v3(3, 0)}AAAA.`), { ignoreUnreadable: false });
  assert.deepEqual(dataMessageFlags(`?OTR:${v3(3, 1)}AAAA.`), { ignoreUnreadable: true });
  assert.deepEqual(dataMessageFlags(`?OTR:${v2(3, 0)}.`), { ignoreUnreadable: false });
  assert.deepEqual(dataMessageFlags(`?OTR|00000100|00000200,00001,00003,?OTR:${v3(3, 0)}abc,`), { ignoreUnreadable: false });
  assert.deepEqual(dataMessageFlags(`?OTR,00001,00002,?OTR:${v2(3, 1)},`), { ignoreUnreadable: true });
  assert.equal(dataMessageFlags(`?OTR|00000100|00000200,00002,00003,?OTR:${v3(3, 0)}abc,`), undefined, 'not the first fragment');
  assert.equal(dataMessageFlags(`?OTR:${v3(2, 0)}.`), undefined, 'a DH-Commit');
  assert.equal(dataMessageFlags('?OTRv23? hello'), undefined);
  assert.equal(dataMessageFlags('hello'), undefined);
  assert.equal(dataMessageFlags('?OTR:!!!'), undefined);
});
