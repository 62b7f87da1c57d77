import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfigText, loadConfigFile, ConfigError, TOP_KEYS, LISTEN_KEYS, USER_KEYS, NETWORK_KEYS, SASL_KEYS, FLOOD_KEYS } from './load.ts';
import { configToYaml } from './serialize.ts';
import { suggest } from './suggest.ts';

const F = '/etc/otrbnc/test.yml';
const parse = (text: string) => parseConfigText(text, { file: F }).config;

function issues(text: string): ConfigError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('an empty file gives the embedded defaults (paths relative to the file)', () => {
  const c = parse('');
  assert.deepEqual(c.listen, [{ host: '127.0.0.1', port: 6697, tls: false }]);
  assert.equal(c.dataDir, '/etc/otrbnc/data');
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.users, []);
  assert.equal(c.file, F);
});

test('config.example.yml loads and mentions every key', () => {
  const path = new URL('../../config.example.yml', import.meta.url);
  const text = readFileSync(path, 'utf8');
  const c = parseConfigText(text, { file: 'config.example.yml' }).config;
  const n = c.users[0]!.networks[0]!;
  assert.equal(n.name, 'libera');
  assert.deepEqual(n.sasl, { account: 'alice', password: '…' });
  assert.deepEqual(n.flood, { rate: 2, burst: 5 });
  assert.deepEqual(n.channels, ['#otrbnc']);
  assert.deepEqual(n.modules, ['otr']);
  for (const k of [...TOP_KEYS, ...LISTEN_KEYS, ...USER_KEYS, ...NETWORK_KEYS, ...SASL_KEYS, ...FLOOD_KEYS]) {
    assert.match(text, new RegExp(`\\b${k}:`), `config.example.yml lacks ${k}`);
  }
});

test('the issue\'s config block loads with every key mapped', () => {
  const c = parse(`
listen:
  - { host: 127.0.0.1, port: 6697, tls: false }
data_dir: ./data
log_level: debug
users:
  alice:
    password: "scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=="
    networks:
      libera:
        host: irc.libera.chat
        port: 6697
        tls: true
        tls_verify: false
        nick: alice
        alt_nick: alice_
        username: aliceu
        realname: Alice A
        server_password: null
        sasl: { account: alice, password: "pw" }
        channels: ["#otrbnc", "&local"]
        modules: [otr]
        flood: { rate: 0, burst: 5 }
        playback_lines: 42
`);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.users[0]!.password, 'scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==');
  assert.deepEqual(c.users[0]!.networks[0], {
    name: 'libera', host: 'irc.libera.chat', port: 6697, tls: true, tlsVerify: false, nick: 'alice',
    altNick: 'alice_', username: 'aliceu', realname: 'Alice A', serverPassword: null,
    sasl: { account: 'alice', password: 'pw' }, channels: ['#otrbnc', '&local'], modules: ['otr'],
    flood: { rate: 0, burst: 5 }, playbackLines: 42,
  });
});

test('numbers where text is expected keep their written form', () => {
  const c = parse('users:\n  bob:\n    password: 0x1F\n    networks:\n      n: { host: h, server_password: 007, sasl: { account: 1e3, password: 12.50 } }\n');
  assert.equal(c.users[0]!.password, '0x1F');
  assert.equal(c.users[0]!.networks[0]!.serverPassword, '007');
  assert.deepEqual(c.users[0]!.networks[0]!.sasl, { account: '1e3', password: '12.50' });
});

test('network defaults', () => {
  const c = parse('users:\n  bob:\n    password: x\n    networks:\n      n1: { host: a.example }\n      n2: { host: b.example, tls: false }\n');
  const [n1, n2] = c.users[0]!.networks;
  assert.deepEqual(n1, {
    name: 'n1', host: 'a.example', port: 6697, tls: true, tlsVerify: true, nick: 'bob', altNick: 'bob_',
    username: 'bob', realname: 'bob', serverPassword: null, sasl: null, channels: [], modules: [],
    flood: { rate: 2, burst: 5 }, playbackLines: 500,
  });
  assert.equal(n2!.port, 6667);
  assert.equal(n2!.tls, false);
});

test('errors name the file, line, column and key, and say what is expected', () => {
  const e = issues('users:\n  alice:\n    password: x\n    networks:\n      libera:\n        host: irc.example\n        port: "six"\n');
  assert.equal(e.issues.length, 1);
  assert.deepEqual({ ...e.issues[0] }, {
    line: 7, col: 15, key: 'users.alice.networks.libera.port',
    message: 'expected a port number (an integer from 1 to 65535), got the string "six"',
  });
  assert.match(e.message, /\/etc\/otrbnc\/test\.yml:7:15: users\.alice\.networks\.libera\.port: expected a port number/);
});

test('unknown keys are errors, with a did-you-mean where close', () => {
  const e = issues('listen:\n  - { host: 127.0.0.1, prot: 1 }\nlog_levle: info\nusers:\n  a:\n    password: x\n    networks:\n      n: { host: h, tlsVerify: false, zzz: 1 }\n');
  const byKey = new Map(e.issues.map((i) => [i.key, i]));
  assert.match(byKey.get('listen[0].prot')!.message, /unknown key \(did you mean "port"\?\)/);
  assert.match(byKey.get('listen[0].port')!.message, /missing; expected a port number/);
  assert.match(byKey.get('log_level')?.message ?? byKey.get('log_levle')!.message, /did you mean "log_level"/);
  assert.equal(byKey.get('log_levle')!.line, 3);
  assert.match(byKey.get('users.a.networks.n.tlsVerify')!.message, /did you mean "tls_verify"/);
  assert.doesNotMatch(byKey.get('users.a.networks.n.zzz')!.message, /did you mean/);
  assert.match(byKey.get('users.a.networks.n.zzz')!.message, /allowed here: host, port/);
});

test('wrong types and values are each reported', () => {
  const cases: [string, string, RegExp][] = [
    ['listen: 6697\n', 'listen', /expected a list of listeners/],
    ['listen: []\n', 'listen', /at least one listener/],
    ['listen:\n  - { port: 70000 }\n', 'listen[0].port', /integer from 0 to 65535/],
    ['listen:\n  - { port: 1, tls: yes }\n', 'listen[0].tls', /expected true or false, got the string "yes"/],
    ['listen:\n  - { port: 1, tls: true }\n', 'listen[0].cert', /tls: true needs cert/],
    ['listen:\n  - { port: 1 }\n  - { port: 1 }\n', 'listen[1]', /listed twice/],
    ['log_level: loud\n', 'log_level', /expected one of fatal, error, warn, info, debug, trace, silent/],
    ['data_dir: [a]\n', 'data_dir', /expected a directory path, got a list/],
    ['users: [a]\n', 'users', /expected a mapping of user names/],
    ['users:\n  "a/b": { password: x }\n', 'users.a/b', /invalid user name/],
    ['users:\n  a: {}\n', 'users.a.password', /missing; expected a password/],
    ['users:\n  a: { password: "" }\n', 'users.a.password', /empty string/],
    ['users:\n  a: { password: "scrypt$1$2" }\n', 'users.a.password', /malformed scrypt string/],
    ['users:\n  a: { password: x, networks: { n: {} } }\n', 'users.a.networks.n.host', /missing; expected the IRC server's host name/],
    ['users:\n  a: { password: x, networks: { n: { host: h, nick: "9lives" } } }\n', 'users.a.networks.n.nick', /an IRC nick/],
    ['users:\n  a: { password: x, networks: { n: { host: h, channels: "#a" } } }\n', 'users.a.networks.n.channels', /expected a list of channel names/],
    ['users:\n  a: { password: x, networks: { n: { host: h, channels: ["#a b"] } } }\n', 'users.a.networks.n.channels[0]', /no spaces/],
    ['users:\n  a: { password: x, networks: { n: { host: h, modules: [OTR] } } }\n', 'users.a.networks.n.modules[0]', /lower-case/],
    ['users:\n  a: { password: x, networks: { n: { host: h, flood: { rate: -1 } } } }\n', 'users.a.networks.n.flood.rate', /number ≥ 0/],
    ['users:\n  a: { password: x, networks: { n: { host: h, flood: { burst: 0 } } } }\n', 'users.a.networks.n.flood.burst', /integer from 1/],
    ['users:\n  a: { password: x, networks: { n: { host: h, sasl: { account: a } } } }\n', 'users.a.networks.n.sasl.password', /missing; expected the SASL password/],
    ['users:\n  a: { password: x, networks: { n: { host: h, playback_lines: 1.5 } } }\n', 'users.a.networks.n.playback_lines', /an integer/],
    ['- a\n', '', /expected a mapping at the top/],
  ];
  for (const [text, key, re] of cases) {
    const e = issues(text);
    const hit = e.issues.find((i) => i.key === key);
    assert.ok(hit, `${JSON.stringify(text)}: no issue for ${key}; got ${e.message}`);
    assert.match(hit.message, re, text);
    assert.ok(hit.line !== undefined, `${key} has a line`);
  }
});

test('YAML syntax errors and duplicate keys carry a line', () => {
  const e = issues('users:\n  a: { password: x\n');
  assert.ok(e.issues[0]!.line !== undefined);
  const d = issues('log_level: info\nlog_level: debug\n');
  assert.equal(d.issues[0]!.line, 2);
  assert.match(d.issues[0]!.message, /unique/);
});

test('several problems are reported together', () => {
  const e = issues('log_level: loud\ndata_dir: 5\nusers:\n  a: { password: x, networks: { n: { host: h, port: 0 } } }\n');
  assert.ok(e.issues.length >= 2);
  assert.match(e.message, /errors in config file/);
});

test('a missing file is a ConfigError naming the file', () => {
  assert.throws(() => loadConfigFile('/nonexistent/otrbnc.yml'), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /\/nonexistent\/otrbnc\.yml.*no such file/);
    return true;
  });
});

test('relative paths resolve against the file; --data-dir overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-cfg-'));
  try {
    const f = join(dir, 'c.yml');
    writeFileSync(f, 'data_dir: ./d\nlisten:\n  - { port: 7000, tls: true, cert: c.pem, key: k.pem }\n');
    assert.throws(() => loadConfigFile(f), (e: Error) => {
      assert.match(e.message, new RegExp(`c\\.yml:3:36: listen\\[0\\]\\.cert: no such file: ${join(dir, 'c.pem')}`));
      assert.match(e.message, /listen\[0\]\.key: no such file/);
      return true;
    });
    writeFileSync(join(dir, 'c.pem'), '');
    writeFileSync(join(dir, 'k.pem'), '');
    const c = loadConfigFile(f).config;
    assert.equal(c.dataDir, join(dir, 'd'));
    assert.equal(c.listen[0]!.cert, join(dir, 'c.pem'));
    assert.equal(loadConfigFile(f, { dataDirOverride: 'x' }).config.dataDir, resolve('x'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('serialize → load round-trips', () => {
  const c = parse('users:\n  a:\n    password: x\n    networks:\n      n: { host: h, sasl: { account: u, password: p }, server_password: sp, channels: ["#x"] }\n');
  const again = parseConfigText(configToYaml(c), { file: F }).config;
  assert.deepEqual(again, c);
});

test('suggest', () => {
  assert.equal(suggest('prot', ['host', 'port']), 'port');
  assert.equal(suggest('tlsVerify', ['tls', 'tls_verify']), 'tls_verify');
  assert.equal(suggest('banana', ['host', 'port']), undefined);
});
