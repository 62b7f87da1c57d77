// lowerBackgroundThreads, in a child process: every thread but the event loop's ends at the lowest priority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const script = `
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { lowerBackgroundThreads } from ${JSON.stringify(new URL('./v8-tune.ts', import.meta.url).href)};
await readFile(process.execPath, { flag: 'r' }).catch(() => {}); // starts libuv's thread pool
lowerBackgroundThreads();
const nice = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
console.log(JSON.stringify(readdirSync('/proc/self/task').map((t) => [Number(t) === process.pid, nice(t)])));
`;

test('lowerBackgroundThreads: helper threads at nice 19, the event loop untouched', { skip: process.platform !== 'linux' && 'per-thread nice values are Linux only' }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const threads = JSON.parse(out) as [boolean, number][];
  const main = threads.filter(([isMain]) => isMain);
  const others = threads.filter(([isMain]) => !isMain);
  assert.deepEqual(main, [[true, 0]]);
  assert.ok(others.length >= 4, `V8 and libuv threads: ${out}`);
  assert.ok(others.every(([, n]) => n === 19), out);
});
