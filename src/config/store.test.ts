import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, statSync, rmSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from './load.ts';
import { ConfigStore } from './store.ts';
import { defaultConfig } from './defaults.ts';
import type { NetworkConfig } from './types.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'otrbnc-store-'));
}

const net = (name: string, over: Partial<NetworkConfig> = {}): NetworkConfig => ({
  name, host: 'irc.example.org', port: 6697, tls: true, tlsVerify: true, nick: 'alice', altNick: 'alice_',
  username: 'alice', realname: 'Alice', serverPassword: null, sasl: null, channels: ['#a'], modules: [],
  flood: { rate: 2, burst: 5 }, playbackLines: 500, ...over,
});

const ORIGINAL = `# top comment: keep me
listen:
  - { host: 127.0.0.1, port: 7000, tls: false } # the listener
log_level: info  # how chatty

users:
  # alice is the admin
  alice:
    password: "plain" # change me
    networks:
      # the first network
      libera:
        host: irc.libera.chat
        modules: [otr]  # otr here
`;

function setup(mode = 0o640) {
  const dir = tmp();
  const file = join(dir, 'otrbnc.yml');
  writeFileSync(file, ORIGINAL);
  chmodSync(file, mode);
  const loaded = loadConfigFile(file);
  const store = ConfigStore.forFile(file, loaded.text);
  return { dir, file, store, done: () => rmSync(dir, { recursive: true }) };
}

test('addNetwork / setNetworkModules / deleteNetwork keep comments and the file mode', async () => {
  const { file, store, done } = setup(0o640);
  try {
    await store.addNetwork('alice', net('oftc', { sasl: { account: 'al', password: 'p' }, modules: ['otr'] }));
    let text = readFileSync(file, 'utf8');
    for (const c of ['# top comment: keep me', '# the listener', '# how chatty', '# alice is the admin', '# change me', '# the first network', '# otr here']) {
      assert.ok(text.includes(c), `lost comment ${c}\n${text}`);
    }
    let c = loadConfigFile(file).config;
    assert.deepEqual(c.users[0]!.networks.map((n) => n.name), ['libera', 'oftc']);
    assert.deepEqual(c.users[0]!.networks[1], net('oftc', { sasl: { account: 'al', password: 'p' }, modules: ['otr'] }));
    assert.equal(statSync(file).mode & 0o777, 0o640);

    await store.setNetworkModules('alice', 'libera', ['otr', 'test']);
    c = loadConfigFile(file).config;
    assert.deepEqual(c.users[0]!.networks[0]!.modules, ['otr', 'test']);

    await store.deleteNetwork('alice', 'oftc');
    text = readFileSync(file, 'utf8');
    c = loadConfigFile(file).config;
    assert.deepEqual(c.users[0]!.networks.map((n) => n.name), ['libera']);
    assert.ok(text.includes('# top comment: keep me'));
    assert.ok(text.includes('# the first network'));
    // No temp files left beside it.
    assert.deepEqual(readdirSync(join(file, '..')), ['otrbnc.yml']);
  } finally { done(); }
});

test('addUser and setPassword', async () => {
  const { file, store, done } = setup();
  try {
    await store.addUser({ name: 'bob', password: 'scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', networks: [net('n1')] });
    await store.setPassword('alice', 'scrypt$1024$8$1$c2FsdHNhbHQ=$b3RoZXJvdGhlcm90aGVyb3RoZXI=');
    const c = loadConfigFile(file).config;
    assert.deepEqual(c.users.map((u) => [u.name, u.password]), [['alice', 'scrypt$1024$8$1$c2FsdHNhbHQ=$b3RoZXJvdGhlcm90aGVyb3RoZXI='], ['bob', 'scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==']]);
    assert.equal(c.users[1]!.networks[0]!.host, 'irc.example.org');
    assert.ok(readFileSync(file, 'utf8').includes('# change me'));
  } finally { done(); }
});

test('refuses nonsense: unknown user or network, duplicates', async () => {
  const { store, done } = setup();
  try {
    await assert.rejects(store.addNetwork('nobody', net('x')), /user nobody is not in/);
    await assert.rejects(store.addNetwork('alice', net('libera')), /already exists/);
    await assert.rejects(store.deleteNetwork('alice', 'nope'), /network nope of user alice is not in/);
    await assert.rejects(store.setNetworkModules('alice', 'nope', []), /not in/);
    await assert.rejects(store.addUser({ name: 'alice', password: 'x', networks: [] }), /already exists/);
    // A failed change does not block later ones.
    await store.addNetwork('alice', net('ok'));
  } finally { done(); }
});

test('concurrent changes are serialised, none lost', async () => {
  const { file, store, done } = setup();
  try {
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.addNetwork('alice', net(`n${i}`))));
    const names = loadConfigFile(file).config.users[0]!.networks.map((n) => n.name).sort();
    assert.deepEqual(names, ['libera', 'n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
  } finally { done(); }
});

test('a hand edit made while running is kept; a broken file is not overwritten', async () => {
  const { file, store, done } = setup();
  try {
    writeFileSync(file, readFileSync(file, 'utf8').replace('log_level: info', 'log_level: debug # edited'));
    await store.addNetwork('alice', net('n1'));
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('log_level: debug # edited'));
    assert.equal(loadConfigFile(file).config.users[0]!.networks.length, 2);
    writeFileSync(file, 'log_level: [oops\n');
    await assert.rejects(store.addNetwork('alice', net('n2')), /edited and is invalid/);
    assert.equal(readFileSync(file, 'utf8'), 'log_level: [oops\n');
  } finally { done(); }
});

test('embedded defaults persist to <data_dir>/otrbnc.yml (0600, dir 0700), loadable next start', async () => {
  const dir = tmp();
  try {
    const config = defaultConfig();
    config.dataDir = join(dir, 'data');
    const store = ConfigStore.forDataDir(config);
    assert.equal(store.path, join(dir, 'data', 'otrbnc.yml'));
    assert.equal(existsSync(store.path), false);
    await store.addUser({ name: 'admin', password: 'scrypt$2048$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', networks: [] });
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    await store.addNetwork('admin', net('libera'));
    const c = loadConfigFile(store.path, { dataDirOverride: config.dataDir }).config;
    assert.deepEqual(c.listen, config.listen);
    assert.equal(c.dataDir, config.dataDir);
    assert.equal(c.users[0]!.name, 'admin');
    assert.equal(c.users[0]!.networks[0]!.name, 'libera');
    assert.match(readFileSync(store.path, 'utf8'), /^# otrbnc configuration/);
    // A fresh store over the written file keeps working.
    const loaded = loadConfigFile(store.path, { dataDirOverride: config.dataDir });
    await ConfigStore.forFile(store.path, loaded.text).deleteNetwork('admin', 'libera');
    assert.equal(loadConfigFile(store.path).config.users[0]!.networks.length, 0);
  } finally { rmSync(dir, { recursive: true }); }
});

test('a network added to an empty `networks: {}` is written as a block', async () => {
  const dir = tmp();
  try {
    const file = join(dir, 'c.yml');
    writeFileSync(file, 'users:\n  admin:\n    password: x\n    networks: {}\n');
    const loaded = loadConfigFile(file);
    await ConfigStore.forFile(file, loaded.text).addNetwork('admin', net('libera'));
    const text = readFileSync(file, 'utf8');
    assert.match(text, /\n    networks:\n      libera:\n        host: irc\.example\.org\n/);
    assert.match(text, /channels: \[ "#a" \]/);
  } finally { rmSync(dir, { recursive: true }); }
});

test('an empty config file or bare users: key still accepts a user', async () => {
  for (const initial of ['', '# just a comment\n', 'users: # none yet\n']) {
    const dir = tmp();
    try {
      const file = join(dir, 'c.yml');
      writeFileSync(file, initial);
      const loaded = loadConfigFile(file);
      await ConfigStore.forFile(file, loaded.text).addUser({ name: 'admin', password: 'x', networks: [] });
      assert.equal(loadConfigFile(file).config.users[0]!.name, 'admin', initial);
      if (initial.includes('#')) assert.ok(readFileSync(file, 'utf8').includes(initial.slice(initial.indexOf('#')).trim()), readFileSync(file, 'utf8'));
    } finally { rmSync(dir, { recursive: true }); }
  }
});

test('a config file deleted while running is recreated from the last text seen, with the change', async () => {
  const { file, store, done } = setup();
  try {
    rmSync(file);
    await store.addNetwork('alice', net('n1'));
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('# alice is the admin'));
    assert.deepEqual(loadConfigFile(file).config.users[0]!.networks.map((n) => n.name), ['libera', 'n1']);
  } finally { done(); }
});
