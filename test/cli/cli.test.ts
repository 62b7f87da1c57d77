// The otrbnc CLI as a child process: help, version, hash-password, config errors, first run, signals.
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBouncer, REPO_ROOT } from '../harness/bouncer.ts';
import { VERSION } from '../../src/util/version.ts';
import { freePort, waitForPort } from '../harness/net.ts';
import { IrcClient } from '../harness/irc-client.ts';
import { verifyPassword, isHashed } from '../../src/auth/password.ts';


// `script` runs its command with $SHELL; pin it so the caller's environment does not matter.
const scriptEnv = { ...process.env, SHELL: '/bin/sh' };

test('--help lists the commands and flags', async () => {
  const p = spawnBouncer({ args: ['--help'] });
  assert.deepEqual(await p.exited(), { code: 0, signal: null });
  const out = p.stdout();
  for (const s of ['usage: otrbnc', 'run', 'hash-password', '--config FILE', '--data-dir DIR', '--version', '--help']) {
    assert.ok(out.includes(s), `help lacks ${s}:\n${out}`);
  }
  await p.stop();
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const p = spawnBouncer({ args: ['--version'] });
  assert.equal((await p.exited()).code, 0);
  assert.equal(p.stdout().trim(), `otrbnc ${pkg.version}`);
  await p.stop();
});

test('unknown command or flag: exit 2 with a pointer to --help', async () => {
  for (const args of [['frobnicate'], ['--frob'], ['--config']]) {
    const p = spawnBouncer({ args });
    assert.equal((await p.exited()).code, 2, args.join(' '));
    assert.match(p.stderr(), /otrbnc: .*(unknown command "frobnicate"|unknown flag --frob|--config needs a value)/);
    await p.stop();
  }
});

test('hash-password reads one line from stdin and prints a verifiable scrypt form', async () => {
  const p = spawnBouncer({ args: ['hash-password'], stdin: 'pässwörd with spaces \nsecond line ignored\n' });
  assert.equal((await p.exited()).code, 0, p.stderr());
  const stored = p.stdout().trim();
  assert.match(stored, /^scrypt\$\d+\$\d+\$\d+\$[^$]+\$[^$]+$/);
  assert.equal(isHashed(stored), true);
  assert.equal(await verifyPassword(stored, 'pässwörd with spaces '), true);
  assert.equal(await verifyPassword(stored, 'second line ignored'), false);
  assert.equal(p.stdout().split('\n').filter(Boolean).length, 1);
  await p.stop();
});

test('hash-password refuses empty input', async () => {
  const p = spawnBouncer({ args: ['hash-password'], stdin: '' });
  assert.equal((await p.exited()).code, 1);
  assert.match(p.stderr(), /empty password/);
  assert.equal(p.stdout(), '');
  await p.stop();
});

test('a wrong config stops start-up naming file, line, column and key, and what is expected', async () => {
  const p = spawnBouncer({
    config: [
      'listen:',
      '  - { host: 127.0.0.1, port: 1, tls: false }',
      'users:',
      '  alice:',
      '    password: x',
      '    networks:',
      '      libera:',
      '        host: irc.example.org',
      '        tls_verfy: false',
      '        flood: { rate: fast }',
      '',
    ].join('\n'),
  });
  assert.equal((await p.exited()).code, 2);
  const err = p.stderr();
  const file = p.configFile!;
  assert.ok(err.includes(`${file}:9:9: users.alice.networks.libera.tls_verfy: unknown key (did you mean "tls_verify"?)`), err);
  assert.ok(err.includes(`${file}:10:24: users.alice.networks.libera.flood.rate: expected lines per second`), err);
  assert.match(err, /got the string "fast"/);
  assert.doesNotMatch(p.stdout(), /otrbnc running/);
  await p.stop();
});

test('a missing config file is reported by name', async () => {
  const p = spawnBouncer({ args: ['--config', '/nonexistent/dir/otrbnc.yml'] });
  assert.equal((await p.exited()).code, 2);
  assert.match(p.stderr(), /\/nonexistent\/dir\/otrbnc\.yml.*no such file/);
  await p.stop();
});

test('first run with a config file: admin is created, its password shown once on stderr, its hash saved', async () => {
  const port = await freePort();
  const p = spawnBouncer({ config: `# my comment\nlisten:\n  - { host: 127.0.0.1, port: ${port}, tls: false }\n` });
  const m = await p.waitForOutput(/created user "admin" with this password \(shown only this once\):\n\n {4}(\S+)\n/);
  const password = m[1]!;
  await p.waitForPort(port);
  await p.waitForOutput(/"msg":"otrbnc running"/);
  const text = readFileSync(p.configFile!, 'utf8');
  assert.ok(text.includes('# my comment'));
  assert.ok(!text.includes(password));
  const stored = /password: (scrypt\S+)/.exec(text)![1]!;
  assert.equal(await verifyPassword(stored, password), true);
  // Only on stderr, never in the log output.
  assert.ok(!p.stdout().includes(password));
  // The user can log in with it.
  const c = await IrcClient.connect(port);
  await c.register('someone', { pass: `admin:${password}` });
  await c.close();
  const st = await p.stop('SIGINT');
  assert.equal(st.code, 0, p.stdout() + p.stderr());
  assert.match(p.stdout(), /"msg":"otrbnc stopped"/);
});

test('no --config: defaults, then <data_dir>/otrbnc.yml on the next start; plain-text warning', async () => {
  // The embedded defaults listen on 127.0.0.1:6697 (src/config/load.test.ts); --listen moves this run to a
  // free port without writing it, so the test does not depend on 6697 being free here.
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-cli-dd-'));
  try {
    const dataDir = join(dir, 'data');
    const p1 = spawnBouncer({ args: ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`] });
    await p1.waitForOutput(/created user "admin"/);
    await p1.waitForOutput(/"msg":"otrbnc running"/);
    await p1.waitForPort(port);
    assert.equal((await p1.stop()).code, 0);
    const written = join(dataDir, 'otrbnc.yml');
    assert.equal(statSync(written).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const text = readFileSync(written, 'utf8');
    assert.match(text, /admin:\n\s+password: scrypt\$/);
    assert.match(text, /port: 6697/, 'the defaults are written, not the --listen of this run');

    // Second start: same user, no new password; a plain-text password gets a warning.
    writeFileSync(written, text.replace(/password: scrypt\S+/, 'password: plain-secret'), { mode: 0o600 });
    const p2 = spawnBouncer({ args: ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`] });
    await p2.waitForOutput(/"msg":"otrbnc running"/);
    assert.doesNotMatch(p2.stderr(), /created user/);
    assert.match(p2.stdout(), /"source":"data-dir"/);
    assert.match(p2.stdout(), /"level":40[^\n]*"user":"admin"[^\n]*plain-text password/);
    assert.ok(!p2.stdout().includes('plain-secret'));
    assert.equal((await p2.stop()).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start -- --config FILE builds and runs the compiled bouncer (modules too); SIGTERM stops it', async () => {
  const port = await freePort();
  const nowhere = await freePort(); // nothing listens: the network keeps reconnecting, its modules load
  rmSync(join(REPO_ROOT, 'dist'), { recursive: true, force: true }); // as on a fresh clone
  const p = spawnBouncer({
    viaNpm: true,
    config: `listen:\n  - { host: 127.0.0.1, port: ${port}, tls: false }\nusers:\n  bob:\n    password: pw\n    networks:\n      net: { host: 127.0.0.1, port: ${nowhere}, nick: bob, modules: [otr] }\n`,
  });
  await p.waitForPort(port, 90_000); // a fresh clone compiles first
  await p.waitForOutput(/"msg":"otrbnc running"/);
  await p.waitForOutput(/"module":"otr","msg":"module loaded"/);
  assert.match(p.stdout(), new RegExp(`"version":"${VERSION.replace(/\./g, '\\.')}"`), 'the version is found from dist/ too');
  assert.ok(existsSync(join(REPO_ROOT, 'dist/src/main.js')), 'npm start compiled the bouncer');
  const st = await p.stop('SIGTERM');
  assert.match(p.stdout(), /"msg":"otrbnc stopped"/, p.stdout() + p.stderr());
  assert.ok(st.code === 0 || st.signal === 'SIGTERM', JSON.stringify(st));
});

test('hash-password on a terminal asks twice without echo', async () => {
  const secret = 'Zebra-Qu1nce!';
  const cmd = `exec ${process.execPath} --import ${import.meta.resolve('tsx')} ${new URL('../../src/main.ts', import.meta.url).pathname} hash-password`;
  // util-linux `script` gives the command a pseudo-terminal; both answers arrive pasted in one go.
  const p = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: scriptEnv });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  let wrote = false;
  p.stdout.on('data', () => {
    if (!wrote && out.includes('Password: ')) {
      wrote = true;
      p.stdin.write(`${secret}\r${secret}\r`);
    }
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, out);
  assert.match(out, /Password: [\s\S]*Again: /);
  assert.ok(!out.includes(secret), `the password was echoed:\n${out}`);
  const stored = /scrypt\$\S+/.exec(out)![0];
  assert.equal(await verifyPassword(stored, secret), true, JSON.stringify(out));
});

test('first run with stderr redirected to a file: the password goes to the terminal, not the file', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-cli-tty-'));
  try {
    const cfg = join(dir, 'c.yml');
    const errFile = join(dir, 'stderr.log');
    const outFile = join(dir, 'stdout.log');
    writeFileSync(cfg, `listen:\n  - { host: 127.0.0.1, port: ${port}, tls: false }\n`);
    const main = new URL('../../src/main.ts', import.meta.url).pathname;
    // `exec`: whatever $SHELL `script` picks (dash does not exec by itself), Ctrl-C must reach only the bouncer.
    const cmd = `exec ${process.execPath} --import ${import.meta.resolve('tsx')} ${main} --config ${cfg} >${outFile} 2>${errFile}`;
    const p = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: scriptEnv });
    let tty = '';
    const seen = new Promise<string>((resolve) => {
      p.stdout.on('data', (d: Buffer) => {
        tty += d.toString();
        const m = /created user "admin" with this password \(shown only this once\):\s+(\S+)/.exec(tty);
        if (m) resolve(m[1]!);
      });
    });
    const closed = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const password = await seen;
    await waitForPort(port, { timeoutMs: 15_000 });
    const c = await IrcClient.connect(port, { timeoutMs: 15_000 });
    await c.register('x', { pass: `admin:${password}` }); // the bouncer is up and the password works
    await c.close();
    p.stdin.write('\u0003'); // Ctrl-C on the terminal: SIGINT to the foreground job
    const code = await closed;
    clearTimeout(timer);
    const err = readFileSync(errFile, 'utf8');
    const out = readFileSync(outFile, 'utf8');
    assert.ok(!err.includes(password) && !out.includes(password), 'the password reached a file');
    assert.match(err, /was shown on the terminal/);
    assert.match(out, /"msg":"otrbnc stopped"/);
    assert.equal(code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the package bin (bin/otrbnc.js) runs the same CLI, started through its shebang as an installed command is', async () => {
  const bin = new URL('../../bin/otrbnc.js', import.meta.url).pathname;
  const p = spawn(bin, ['--version'], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => p.once('close', (c) => r(c)));
  assert.equal(code, 0, out);
  assert.match(out, /^otrbnc \d+\.\d+\.\d+\n$/);
});
