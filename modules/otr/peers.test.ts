import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerTable } from './peers.ts';
import { casemapping } from '../../src/irc/casemapping.ts';
import { OtrAccount } from '../../src/otr/index.ts';

const cm = casemapping('rfc1459');

test('a flood of nicks forgets the least recently used idle peers, never one with something to keep', () => {
  const account = new OtrAccount({ name: 'alice', protocol: 'irc' });
  const peers = new PeerTable(() => cm, 10);
  const secure = peers.getOrCreate('Keeper'); // oldest, but the user wants encryption with it
  secure.wantSecure = true;
  const waiting = peers.getOrCreate('waiter');
  waiting.queue.push({ plaintext: 'kept until the session is up', expected: undefined });
  const withSession = peers.getOrCreate('chatty');
  withSession.session = account.createSession('chatty', { inject: () => {}, event: () => {}, maxMessageSize: () => 0 });
  for (let i = 0; i < 7; i++) peers.getOrCreate(`guest${i}`);
  peers.getOrCreate('GUEST0'); // used again: now the most recent
  assert.equal(peers.size, 10);

  peers.getOrCreate('newcomer');
  assert.ok(peers.size <= 10);
  assert.equal(peers.get('keeper'), secure);
  assert.equal(peers.get('WAITER'), waiting);
  assert.equal(peers.get('chatty'), undefined, 'idle plaintext session forgotten first (least recently used)');
  assert.ok(peers.get('guest0'), 'recently used');
  assert.ok(peers.get('newcomer'));

  for (let i = 0; i < 50; i++) peers.getOrCreate(`flood${i}`);
  assert.ok(peers.size <= 10, `size ${peers.size}`);
  assert.equal(peers.get('keeper'), secure);
  assert.equal(peers.get('waiter'), waiting);
});
