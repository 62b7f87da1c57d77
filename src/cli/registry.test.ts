import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './index.ts';
import { registerCommand, getCommand, discoverModuleCommands, type CliCommand } from './registry.ts';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { io: { stdin: new PassThrough(), stdout, stderr }, out: () => out, err: () => err };
}

test('a registered command is dispatched with its arguments and the global flags, and listed in --help', async () => {
  let seen: { args: string[]; config?: string } | undefined;
  const cmd: CliCommand = {
    name: 'probe-cmd',
    args: 'list|show --user U',
    help: 'a test command',
    async run(args, ctx) {
      seen = { args, config: ctx.flags.config };
      ctx.out('probed');
      return 3;
    },
  };
  registerCommand(cmd);
  assert.throws(() => registerCommand(cmd), /registered twice/);
  assert.throws(() => registerCommand({ ...cmd, name: 'Bad Name' }), /invalid CLI command name/);
  const a = io();
  assert.equal(await runCli(['probe-cmd', 'show', '--user', 'u', '--config', 'c.yml'], a.io), 3);
  assert.deepEqual(seen, { args: ['show', '--user', 'u'], config: 'c.yml' });
  assert.equal(a.out(), 'probed\n');
  const h = io();
  assert.equal(await runCli(['--help'], h.io), 0);
  assert.match(h.out(), /probe-cmd list\|show --user U\s+a test command/);
  const ch = io();
  assert.equal(await runCli(['probe-cmd', '--help'], ch.io), 0);
  assert.match(ch.out(), /usage: otrbnc probe-cmd list\|show --user U/);
});

test('modules/<name>/cli.ts commands are discovered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-mods-'));
  try {
    mkdirSync(join(dir, 'demo'));
    writeFileSync(join(dir, 'demo', 'cli.ts'), [
      'export const commands = [{ name: "demo-cmd", args: "", help: "from a module",',
      '  async run(_args: string[], ctx: { out(s: string): void }) { ctx.out("demo ran"); return 0; } }];',
    ].join('\n'));
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'cli.ts'), 'throw new Error("boom");\n');
    mkdirSync(join(dir, 'plain')); // no cli.ts: ignored
    const problems = await discoverModuleCommands(dir);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /module broken: cli\.ts failed to load: boom/);
    assert.ok(getCommand('demo-cmd'));
    const a = io();
    assert.equal(await runCli(['demo-cmd'], a.io), 0);
    assert.equal(a.out(), 'demo ran\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('findNetwork resolves a user\'s network and its module storage dir, or says what exists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-ctx-'));
  try {
    const file = join(dir, 'c.yml');
    writeFileSync(file, 'data_dir: ./d\nusers:\n  al:\n    password: x\n    networks:\n      lib: { host: h }\n');
    const { CliContext } = await import('./context.ts');
    const ctx = new CliContext({ help: false, version: false, config: file }, io().io);
    const r = ctx.findNetwork('al', 'lib', 'otr');
    assert.equal(r.network.host, 'h');
    assert.equal(r.storageDir, join(dir, 'd', 'users', 'al', 'networks', 'lib', 'otr'));
    assert.throws(() => ctx.findNetwork('bo', 'lib'), /no user "bo" .*users: al/);
    assert.throws(() => ctx.findNetwork('al', 'oftc'), /has no network "oftc" \(networks: lib\)/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
