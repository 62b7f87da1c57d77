// Network state shared between networks on one server (memory per idle network): shared, yet separate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from './network.ts';
import type { User } from './user.ts';
import type { NetworkConfig } from '../config/types.ts';
import { parseLine } from '../irc/message.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const user = { name: 'u', bouncer: { logger: quiet } } as unknown as User;

function registered(name: string, nick: string, isupport: string): Network {
  const cfg = { name, nick, channels: [], modules: [] } as unknown as NetworkConfig;
  const n = new Network(user, cfg);
  n.onWelcome(parseLine(`:irc.test 001 ${nick} :Welcome ${nick}`)!);
  for (const l of [
    `:irc.test 002 ${nick} :Your host is irc.test`,
    `:irc.test 004 ${nick} irc.test 1.0 io ov`,
    `:irc.test 005 ${nick} ${isupport} :are supported`,
    `:irc.test 422 ${nick} :No MOTD`,
  ]) n.onUpstreamLine(l, 0);
  return n;
}

test('networks on one server share their 002-005 state; a later 005 changes only its network', () => {
  const a = registered('a', 'alice', 'CASEMAPPING=ascii CHANTYPES=# PREFIX=(ov)@+');
  const b = registered('b', 'bob', 'CASEMAPPING=ascii CHANTYPES=# PREFIX=(ov)@+');
  const c = registered('c', 'carol', 'CHANTYPES=&');
  assert.equal(a.isupport, b.isupport);
  assert.notEqual(a.isupport, c.isupport);
  assert.equal(a.welcome![0], b.welcome![0]);
  assert.deepEqual(b.welcome, [['Your host is irc.test'], ['irc.test', '1.0', 'io', 'ov']]);
  assert.equal(c.isupport.chantypes, '&');

  b.onUpstreamLine(':irc.test 005 bob CHANTYPES=#& -PREFIX :are supported', 0);
  assert.equal(b.isupport.chantypes, '#&');
  assert.deepEqual(b.isupport.tokens, ['CASEMAPPING=ascii', 'CHANTYPES=#&']);
  assert.equal(a.isupport.chantypes, '#');
  assert.deepEqual(a.isupport.tokens, ['CASEMAPPING=ascii', 'CHANTYPES=#', 'PREFIX=(ov)@+']);
  assert.equal(a.isupport.casemapping.lower('[A]'), '[a]');
  assert.ok(a.isupport.isChannel('#x') && !a.isupport.isChannel('&x') && b.isupport.isChannel('&x'));
});
