// Unit tests of the small pieces: line reader, flood limiter, playback ring, login limiter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader } from './lines.ts';
import { FloodLimiter } from './flood.ts';
import { Playback } from './playback.ts';
import { LoginLimiter } from './login-limit.ts';
import { splitUserNetwork } from './downstream.ts';
import { backoffDelay } from './upstream.ts';

function reader(max = 20, strict = true) {
  const got: string[] = [];
  const r = new LineReader({
    line: (l) => got.push(l),
    tooLong: () => got.push('<long>'),
    badLine: (why) => got.push(`<bad ${why}>`),
    lineError: (e, l) => got.push(`<error ${(e as Error).message} ${l}>`),
  }, max, strict);
  return { r, got };
}

test('LineReader: CRLF/LF, split chunks, split UTF-8 sequences, empty lines', () => {
  const { r, got } = reader();
  r.push(Buffer.from('A\r\nB\n\r\n\nC'));
  r.push(Buffer.from('D'));
  const e = Buffer.from('é\n');
  r.push(e.subarray(0, 1));
  r.push(e.subarray(1));
  assert.deepEqual(got, ['A', 'B', 'CDé']);
});

test('LineReader: keeps nothing of a chunk, whose buffer the next read reuses (upstream onread)', () => {
  const { r, got } = reader(100, false);
  const shared = Buffer.alloc(64);
  const read = (bytes: Buffer) => {
    bytes.copy(shared);
    r.push(shared.subarray(0, bytes.length));
    shared.fill('#'); // what another network's read does to the buffer
  };
  const e = Buffer.from('é'); // two bytes, split between two reads below
  read(Buffer.from('PRIVMSG a :first half, '));
  read(Buffer.concat([Buffer.from('second half\r\nPRIVMSG b :caf'), e.subarray(0, 1)]));
  read(Buffer.concat([e.subarray(1), Buffer.from('!\n')]));
  assert.deepEqual(got, ['PRIVMSG a :first half, second half', 'PRIVMSG b :café!']);
});

test('LineReader: over-long lines are dropped, in one chunk or spread over many', () => {
  const { r, got } = reader(10);
  r.push(Buffer.from('0123456789AB\nok\n'));
  r.push(Buffer.from('x'.repeat(15)));
  r.push(Buffer.from('x'.repeat(15) + '\nafter\n'));
  assert.deepEqual(got, ['<long>', 'ok', '<long>', 'after']);
});

test('LineReader: a sink that throws on one line still gets the next', () => {
  const got: string[] = [];
  const r = new LineReader({
    line: (l) => { if (l === 'bad') throw new Error('boom'); got.push(l); },
    lineError: (e, l) => got.push(`<error ${(e as Error).message} ${l}>`),
  }, 100, false);
  r.push(Buffer.from('a\nbad\nb\n'));
  assert.deepEqual(got, ['a', '<error boom bad>', 'b']);
});

test('LineReader strict: invalid UTF-8 and NUL lines dropped, the others kept', () => {
  const { r, got } = reader();
  r.push(Buffer.concat([Buffer.from('ok1\n'), Buffer.from([0xc3, 0x28, 10]), Buffer.from('a\0b\nok2\n')]));
  assert.deepEqual(got, ['ok1', '<bad invalid UTF-8>', '<bad NUL byte>', 'ok2']);
});

test('FloodLimiter: rate 0 is off; burst then rate; queue bounded; timers only while queued', async () => {
  const out: string[] = [];
  const off = new FloodLimiter(0, 1, (l) => out.push(l));
  for (let i = 0; i < 100; i++) off.send('x');
  assert.equal(out.length, 100);
  const sent: number[] = [];
  const t0 = Date.now();
  let fifth!: () => void;
  const done = new Promise<void>((r) => { fifth = r; });
  const f = new FloodLimiter(20, 2, () => { if (sent.push(Date.now() - t0) === 5) fifth(); }, 3);
  for (let i = 0; i < 5; i++) assert.equal(f.send('l'), true);
  assert.equal(f.send('l'), false, 'queue of 3 is full');
  assert.equal(sent.length, 2);
  assert.equal(f.queued, 3);
  await done;
  assert.ok(sent[4]! >= 100, `3 queued lines at 20/s take ≥ 100 ms (took ${sent[4]})`);
  assert.equal(f.queued, 0);
  f.clear();
});

test('FloodLimiter: settled only with nothing queued and the bucket full again', async () => {
  let written = 0;
  let drained!: () => void;
  const done = new Promise<void>((r) => { drained = r; });
  const f = new FloodLimiter(50, 2, () => { if (++written === 3) drained(); });
  assert.equal(f.settled(), true, 'a fresh limiter is settled');
  for (let i = 0; i < 3; i++) f.send('l');
  assert.equal(f.settled(), false, 'a line is queued');
  await done;
  assert.equal(f.settled(), false, 'the bucket is empty right after the queue drained');
  // Refilling 2 tokens at 50/s takes 40 ms; settled() refills from the clock, so wait for the clock only.
  const t = Date.now();
  while (Date.now() - t < 45) await new Promise<void>((r) => setImmediate(r));
  assert.equal(f.settled(), true);
});

test('Playback: lazily allocated ring, oldest dropped, drained once', () => {
  const p = new Playback(2);
  assert.deepEqual(p.drain(), []);
  p.push(1, 'a');
  p.push(2, 'b');
  p.push(3, 'ç');
  assert.equal(p.size, 2);
  assert.deepEqual(p.drain(), [{ time: 2, line: 'b' }, { time: 3, line: 'ç' }]);
  assert.deepEqual(p.drain(), []);
  const none = new Playback(0);
  none.push(1, 'x');
  assert.deepEqual(none.drain(), []);
});

test('LoginLimiter: blocks after N failures in the window, forgets after it, success clears', () => {
  const l = new LoginLimiter(2, 1000);
  l.failure('a', 0);
  assert.equal(l.blocked('a', 1), false);
  l.failure('a', 2);
  assert.equal(l.blocked('a', 3), true);
  assert.equal(l.blocked('b', 3), false);
  assert.equal(l.blocked('a', 2000), false);
  l.failure('c', 0);
  l.success('c');
  l.failure('c', 1);
  assert.equal(l.blocked('c', 2), false);
});

test('splitUserNetwork', () => {
  assert.deepEqual(splitUserNetwork('u/n'), { user: 'u', network: 'n' });
  assert.deepEqual(splitUserNetwork('u'), { user: 'u', network: undefined });
  assert.deepEqual(splitUserNetwork('u/'), { user: 'u', network: undefined });
});

test('backoffDelay: doubles per attempt up to the cap, jitter ±25 %', () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, 1000, 300_000, 0.5)), [1000, 2000, 4000, 8000]);
  assert.equal(backoffDelay(30, 1000, 300_000, 0.5), 300_000);
  assert.equal(backoffDelay(0, 1000, 300_000, 0), 750);
  assert.equal(backoffDelay(0, 1000, 300_000, 0.999999), 1250);
});
