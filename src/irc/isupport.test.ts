import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ISupport } from './isupport.ts';

test('ISUPPORT: casemapping, chantypes, prefix, chanmodes, removal, lines of 13', () => {
  const is = new ISupport();
  is.add(['CASEMAPPING=ascii', 'CHANTYPES=#&+', 'PREFIX=(qaohv)~&@%+', 'CHANMODES=beI,k,l,imnpst', 'EXCEPTS']);
  assert.ok(!is.casemapping.equal('[', '{'));
  assert.ok(is.isChannel('+x') && !is.isChannel('x') && !is.isChannel(''));
  assert.equal(is.prefixModes, 'qaohv');
  assert.equal(is.prefixSymbols, '~&@%+');
  assert.ok(is.modeHasParam('o', false) && is.modeHasParam('k', false) && is.modeHasParam('l', true));
  assert.ok(!is.modeHasParam('l', false) && !is.modeHasParam('m', true));
  is.add(['-EXCEPTS', 'CASEMAPPING=rfc1459']);
  assert.ok(!is.tokens.includes('EXCEPTS'));
  assert.equal(is.tokens.filter((t) => t.startsWith('CASEMAPPING')).length, 1);
  for (let i = 0; i < 20; i++) is.add([`X${i}=1`]);
  assert.deepEqual(is.lines().map((l) => l.length), [13, 11]);
});
