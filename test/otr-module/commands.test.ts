// Every *otr command through the real bouncer, right and wrong input, with libotr as bob.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { askOtr, startWorld, otr, otrSays, otrText, eventually, type World } from './world.ts';

let w: World;
let otrDir: string;
before(async () => {
  w = await startWorld();
  otrDir = w.otrDir;
});
after(async () => {
  await w?.stop();
});

const ask = (line: string): Promise<string[]> => askOtr(w, line);

test('at load: the security note once, and how the key comes', async () => {
  const all = w.alice.lines.map(otrText).filter((t): t is string => t !== undefined);
  assert.match(all[0]!, /^\x0304WARNING:\x03 OTR encryption ends at this bouncer/);
  assert.ok(all.some((l) => l.startsWith('No private key yet.')));
});

test('help lists every command with its synopsis', async () => {
  const lines = (await ask('help')).join('\n');
  for (const [name, args] of [
    ['info', ''], ['trust', '<nick|fingerprint>'], ['distrust', '<nick|fingerprint>'], ['finish', '<nick>'], ['start', '<nick>'],
    ['auth', '<nick> <secret>'], ['authq', '<nick> <[question]> <secret>'], ['authabort', '<nick>'], ['genkey', '[--overwrite]'],
    ['ignore', '[--remove] [nick]'], ['enable', '[--remove] [nick]'],
  ]) {
    assert.ok(lines.includes(name) && lines.includes(args), `${name} ${args} in help:\n${lines}`);
  }
  const auth = (await ask('help auth*')).join('\n');
  assert.ok(['auth', 'authq', 'authabort'].every((n) => auth.includes(`| ${n} `)), auth);
  assert.ok(!auth.includes('| trust '), auth);
  assert.deepEqual(await ask('help nope'), ['No command matches "nope". Usage: help [filter]']);
});

test('wrong use: one line with an explanation and the synopsis', async () => {
  const cases: [string, RegExp][] = [
    ['finish', /^No nick given\. Usage: finish <nick>$/],
    ['finish bob carol', /^Too many arguments\. Usage: finish <nick>$/],
    ['finish zed', /^\[zed\] No OTR conversation with zed; nothing to finish\. Usage: finish <nick>$/],
    ['start #otr', /^#otr is a channel; OTR works only in private conversations\. Usage: start <nick>$/],
    ['auth', /^No nick given\. Usage: auth <nick> <secret>$/],
    ['auth bob', /^No secret given\. Usage: auth <nick> <secret>$/],
    ['auth zed secret', /^\[zed\] Not in an encrypted conversation with zed\. Type \x02start zed\x02 first\. Usage: auth <nick> <secret>$/],
    ['authq bob what? blue', /^No question found\. Did you enclose it in square brackets\? Usage: authq <nick> <\[question\]> <secret>$/],
    ['authq bob [what? blue', /^Closing bracket missing for the question\. Usage: authq/],
    ['authq bob [what?]', /^No secret given\. Usage: authq/],
    ['authabort', /^No nick given\. Usage: authabort <nick>$/],
    ['authabort zed', /^\[zed\] Not in an encrypted conversation with zed\. .*Usage: authabort <nick>$/],
    ['trust', /^No nick given\. Usage: trust <nick\|fingerprint>$/],
    ['trust zed', /^No known fingerprint or OTR conversation for "zed"\. .*Usage: trust <nick\|fingerprint>$/],
    ['distrust 0000 1111', /^No known fingerprint or OTR conversation for "0000 1111"\. .*Usage: distrust <nick\|fingerprint>$/],
    ['genkey --really', /^Unknown option --really\. Usage: genkey \[--overwrite\]$/],
    ['ignore --remove', /^No nick given\. Usage: ignore \[--remove\] \[nick\]$/],
    ['ignore a,b', /^"a,b" is not a valid nick pattern \(.*\)\. Usage: ignore \[--remove\] \[nick\]$/],
    ['enable --remove x,y', /^"x,y" is not a valid nick pattern \(.*\)\. Usage: enable \[--remove\] \[nick\]$/],
    ['enable --remove nobody', /^\x02nobody\x02 is not on the OTR enable list\.$/],
    ['info extra', /^Too many arguments\. Usage: info$/],
    ['bogus', /^Unknown command/],
  ];
  for (const [line, re] of cases) {
    const out = await ask(line);
    assert.equal(out.length, 1, `${line}: ${JSON.stringify(out)}`);
    assert.match(out[0]!, re, line);
  }
  assert.deepEqual(await ask('INFO'), ['No fingerprints known yet.', 'Your fingerprint: none yet (no private key; type \x02genkey\x02 or start a conversation).']);
});

test('genkey makes a key in the background; without --overwrite it refuses to replace it', async () => {
  w.alice.mark();
  otr(w, 'genkey');
  await otrSays(w, /^Generating a new private key in the background\./);
  const done = await otrSays(w, /^Key generation finished\. Your fingerprint: /);
  const fp = /([0-9A-F]{8}(?: [0-9A-F]{8}){4})/.exec(done)![1]!;
  assert.deepEqual(await ask('genkey'), [`You already have a private key (${fp}). Type \x02genkey --overwrite\x02 to replace it.`]);
  await eventually(() => stat(join(otrDir, 'otr.key')).then(() => true), 'otr.key written');
  const st = await stat(join(otrDir, 'otr.key'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.match(await readFile(join(otrDir, 'otr.key'), 'utf8'), /\(privkeys/);
});

test('genkey --overwrite while an encrypted conversation flows', async () => {
  w.alice.send('PRIVMSG bob :?OTR?');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
  const oldKey = await readFile(join(otrDir, 'otr.key'), 'utf8');
  w.alice.mark();
  const start = w.alice.lines.length;
  otr(w, 'genkey --overwrite');
  otr(w, 'genkey --overwrite');
  // The relay does not stall: once alice is told the key is being made, lines she sends (to the
  // channel, and encrypted to bob) reach bob before she is told it is done. The bouncer runs in this
  // process, so a key generation that blocked the event loop would hold back the "Generating" notice
  // until it was done, and no line could get through first.
  await otrSays(w, /^Generating a new private key in the background\./);
  const finished = () => w.alice.find((l) => /^Key generation finished\./.test(otrText(l) ?? ''), start);
  let before = 0;
  for (let i = 0; i < 500 && finished() === undefined; i++) {
    const bobFrom = w.bob.lines.length;
    const msgFrom = w.bob.messages.length;
    w.alice.send(`PRIVMSG #otr :relay during keygen ${i}`);
    w.alice.send(`PRIVMSG bob :encrypted during keygen ${i}`);
    await w.bob.waitLine(new RegExp(`^:alice!\\S+ PRIVMSG #otr :relay during keygen ${i}$`), `channel line ${i}`, bobFrom);
    await w.bob.waitMessage((m) => m.text === `encrypted during keygen ${i}` && m.encrypted, `encrypted ${i}`, msgFrom);
    if (finished() === undefined) before++;
  }
  assert.ok(before >= 1, `round trips through the bouncer while the key was generated: ${before}`);
  // Messages keep flowing both ways while the key is generated.
  for (let i = 0; i < 5; i++) {
    w.alice.send(`PRIVMSG bob :during keygen ${i}`);
    await w.bob.say('alice', `reply ${i}`);
  }
  await otrSays(w, /^Key generation is already running\.$/);
  await otrSays(w, /^Key generation finished\./);
  await otrSays(w, /^Running conversations keep the old key; new sessions use the new one\.$/);
  await w.bob.waitMessage((m) => m.text === 'during keygen 4' && m.encrypted, 'messages during keygen');
  await eventually(() => w.alice.find(/:bob!\S+ PRIVMSG alice :reply 4$/, start) !== undefined, 'reply 4');
  assert.equal(w.alice.find(/NOT ENCRYPTED/, start), undefined, 'every reply arrived encrypted');
  await w.alice.sync();
  await eventually(async () => (await readFile(join(otrDir, 'otr.key'), 'utf8')) !== oldKey, 'the new key written');
  // The next AKE uses the new key: bob sees a second fingerprint.
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Refreshing the OTR session with bob\.\.\.$/);
  await w.bob.otr.nextEv('new_fingerprint', () => true, 5000);
  await otrSays(w, /^\[bob\] (Gone|Still) \x02SECURE\x02/);
});

test('trust and distrust end to end: by nick, by a lowercase fingerprint without spaces; info shows each change', async () => {
  const trustInInfo = async (): Promise<string> => {
    const row = (await ask('info')).find((l) => l.startsWith('| bob '));
    assert.ok(row, 'a row for bob');
    assert.match(row, /^\| bob +\| encrypted \|/);
    return row.split('|')[5]!.trim();
  };
  const fp = w.bob.otr.fingerprint!.toUpperCase().match(/.{8}/g)!.join(' ');
  const compact = w.bob.otr.fingerprint!.toLowerCase();
  assert.match(compact, /^[0-9a-f]{40}$/);
  assert.equal(await trustInInfo(), 'not trusted');
  assert.deepEqual(await ask('trust bob'), [`[bob] Fingerprint ${fp} trusted!`]);
  assert.equal(await trustInInfo(), 'manual');
  assert.deepEqual(await ask('distrust bob'), [`[bob] Fingerprint ${fp} distrusted!`]);
  assert.equal(await trustInInfo(), 'not trusted');
  assert.deepEqual(await ask('distrust bob'), [`[bob] Fingerprint ${fp} was not trusted.`]);
  assert.deepEqual(await ask(`trust ${compact}`), [`[bob] Fingerprint ${fp} trusted!`]);
  assert.equal(await trustInInfo(), 'manual');
  await eventually(async () => {
    assert.match(await readFile(join(otrDir, 'otr.fp'), 'utf8'), new RegExp(`^bob\\talice\\tirc\\t${compact}\\tverified$`, 'm'));
  }, 'otr.fp records the trust');
  assert.deepEqual(await ask(`distrust ${compact}`), [`[bob] Fingerprint ${fp} distrusted!`]);
  assert.equal(await trustInInfo(), 'not trusted');
});

test('ignore and enable lists: wildcards, casemapping, persisted; an ignored nick is left alone', async () => {
  assert.deepEqual(await ask('ignore'), ['The OTR ignore list is empty.']);
  assert.deepEqual(await ask('enable'), ['OTR is enabled for these nicks:', '*']);
  const added = await ask('ignore B[o]*');
  assert.equal(added.at(-1), 'Added \x02B[o]*\x02 to the OTR ignore list.');
  assert.deepEqual(await ask('ignore Guest*'), ['Added \x02Guest*\x02 to the OTR ignore list.']);
  assert.deepEqual(await ask('ignore GUEST*'), ['\x02GUEST*\x02 is already on the OTR ignore list.']);
  assert.deepEqual(await ask('ignore'), ['OTR is disabled for these nicks:', 'B[o]*', 'Guest*']);
  assert.match((await ask('ignore b{o}b')).at(-1)!, /Added/); // braces are literal, not a glob
  assert.deepEqual(await ask('ignore --remove b{o}b'), ['Removed \x02b{o}b\x02 from the OTR ignore list.']);
  assert.deepEqual(await ask('ignore --remove guest*'), ['Removed \x02Guest*\x02 from the OTR ignore list.']);
  await eventually(async () => {
    assert.deepEqual(JSON.parse(await readFile(join(otrDir, 'settings.json'), 'utf8')).ignore, ['B[o]*']);
  }, 'settings.json written');
  assert.equal((await stat(join(otrDir, 'settings.json'))).mode & 0o777, 0o600);
  // "B[o]*" is literal: it does not match bob, so OTR still applies to bob.
  assert.deepEqual(await ask('start bob'), ['[bob] Refreshing the OTR session with bob...']);
  await ask('ignore --remove B[o]*');
  // A wildcard that matches bob: the live session is finished first, then bob is left alone.
  w.alice.mark();
  otr(w, 'ignore b?b');
  await otrSays(w, /^\[bob\] OTR is now disabled for bob: the encrypted conversation was finished and bob was told\.$/);
  await w.bob.waitState('alice', 'finished');
  const before = w.relay.lines.length;
  w.alice.send('PRIVMSG bob :plain to ignored bob');
  await w.alice.sync();
  const sent = w.relay.lines.slice(before).find((l) => l.startsWith('> PRIVMSG bob :plain'));
  assert.equal(sent, '> PRIVMSG bob :plain to ignored bob', 'untouched: no whitespace tag');
  // bob still talks OTR: alice's client gets no ciphertext, and one notice saying why.
  await w.bob.otr.finish('alice');
  w.alice.mark();
  await w.bob.otr.query('alice');
  await w.bob.say('alice', 'anything');
  w.bob.write('PING :ignored');
  await w.bob.waitLine(/PONG .*ignored/, 'barrier');
  await eventually(() => w.alice.find(/:bob!\S+ PRIVMSG alice :anything/, 0) !== undefined, 'anything');
  assert.equal(w.alice.find(/:bob!\S+ PRIVMSG alice :\?OTR[:|,]/, 0), undefined, 'no ciphertext shown');
  assert.deepEqual(await ask('enable'), ['OTR is enabled for these nicks:', '*']);
  await ask('ignore --remove b?b');
  assert.deepEqual(await ask('enable --remove *'), ['Removed \x02*\x02 from the OTR enable list.']);
  assert.deepEqual(await ask('enable'), ['The OTR enable list is empty: OTR is disabled for every nick.']);
  assert.deepEqual(await ask('start bob'), ['[bob] OTR is disabled for bob: no pattern of the enable list matches. Type \x02enable bob\x02 first. Usage: start <nick>']);
  assert.deepEqual(await ask('enable B*'), ['Added \x02B*\x02 to the OTR enable list.']);
  w.alice.mark();
  otr(w, 'start bob');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/);
  await w.bob.waitState('alice', 'encrypted');
});

test('two attached clients both see decrypted messages; a client attaching later gets them from memory', async () => {
  const second = await w.bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time', 'echo-message'] });
  await w.bob.say('alice', 'to both clients');
  await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :to both clients$/);
  await second.waitFor(/:bob!\S+ PRIVMSG alice :to both clients$/);
  // What one client sends encrypted shows on the other, and on itself with echo-message, as typed.
  w.alice.send('PRIVMSG bob :from client one');
  await second.waitFor(/:alice!\S+ PRIVMSG bob :from client one$/);
  second.send('PRIVMSG bob :from client two');
  await second.waitFor(/:alice!\S+ PRIVMSG bob :from client two$/);
  await w.alice.waitFor(/:alice!\S+ PRIVMSG bob :from client two$/);
  await w.bob.waitMessage((m) => m.text === 'from client two' && m.encrypted, 'from client two');
  const detachedBefore = w.bnc.logs.filter((r) => r.msg === 'client detached').length;
  await second.close();
  await w.alice.close();
  await eventually(() => w.bnc.logs.filter((r) => r.msg === 'client detached').length === detachedBefore + 2, 'both clients detached');
  await w.bob.say('alice', 'while detached');
  await w.bob.say('alice', '/me waves while detached');
  await w.bob.otr.finish('alice'); // a *otr notice while nobody is attached
  // bob's lines have gone through ngircd to the bouncer once ngircd answers a later PING of bob's.
  w.bob.write('PING :barrier');
  await w.bob.waitLine(/PONG .*barrier/, 'barrier');
  w.alice = await w.bnc.login('alice', { pass: 'alice/net:pw', caps: ['server-time'] });
  const l1 = await w.alice.waitFor(/:bob!\S+ PRIVMSG alice :while detached$/);
  assert.match(l1, /^@\S*time=/);
  await eventually(() => w.alice.find(/:bob!\S+ PRIVMSG alice :\x01ACTION waves while detached\x01$/, 0) !== undefined, 'the action');
  await eventually(() => w.alice.find(/:\*otr!\S+ PRIVMSG alice :\[bob\] bob has finished the conversation\./, 0) !== undefined, 'the notice');
});
