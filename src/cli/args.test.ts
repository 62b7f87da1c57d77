import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGlobalArgs, UsageError } from './args.ts';

test('no arguments: the run command on defaults', () => {
  assert.deepEqual(parseGlobalArgs([]), { flags: { help: false, version: false }, command: undefined, rest: [] });
});

test('global flags before or after the command, with = or a separate value', () => {
  const a = parseGlobalArgs(['--config', 'a.yml', 'otr', 'trust', '--user', 'u', '--data-dir=/d', '--network', 'n']);
  assert.deepEqual(a.flags, { config: 'a.yml', dataDir: '/d', help: false, version: false });
  assert.equal(a.command, 'otr');
  assert.deepEqual(a.rest, ['trust', '--user', 'u', '--network', 'n']);
  const b = parseGlobalArgs(['-c', 'x.yml', '-d', 'dd']);
  assert.equal(b.flags.config, 'x.yml');
  assert.equal(b.flags.dataDir, 'dd');
  assert.equal(b.command, undefined);
});

test('--help and --version', () => {
  assert.equal(parseGlobalArgs(['--help']).flags.help, true);
  assert.equal(parseGlobalArgs(['hash-password', '-h']).flags.help, true);
  assert.equal(parseGlobalArgs(['hash-password', '-h']).command, 'hash-password');
  assert.equal(parseGlobalArgs(['-V']).flags.version, true);
  // After a command, -V belongs to the command.
  assert.deepEqual(parseGlobalArgs(['otr', '-V']).rest, ['-V']);
});

test('-- ends flag parsing', () => {
  assert.deepEqual(parseGlobalArgs(['otr', '--', '--config', 'x']).rest, ['--config', 'x']);
});

test('usage errors', () => {
  assert.throws(() => parseGlobalArgs(['--config']), UsageError);
  assert.throws(() => parseGlobalArgs(['--config=']), /--config needs a value/);
  assert.throws(() => parseGlobalArgs(['--bogus']), /unknown flag --bogus/);
});

test('--listen takes HOST:PORT (IPv6 in brackets) and refuses anything else', () => {
  assert.deepEqual(parseGlobalArgs(['--listen', '127.0.0.1:7000']).flags.listen, { host: '127.0.0.1', port: 7000 });
  assert.deepEqual(parseGlobalArgs(['-l', '[::1]:6697']).flags.listen, { host: '::1', port: 6697 });
  assert.deepEqual(parseGlobalArgs(['--listen=localhost:1']).flags.listen, { host: 'localhost', port: 1 });
  for (const bad of ['7000', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'host:port', ':7000']) {
    assert.throws(() => parseGlobalArgs(['--listen', bad]), UsageError, bad);
  }
});
