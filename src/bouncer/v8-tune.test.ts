// idleBackgroundThreads, in a child process: every thread but the event loop's ends under SCHED_IDLE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const script = `
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { idleBackgroundThreads } from ${JSON.stringify(new URL('./v8-tune.ts', import.meta.url).href)};
await readFile(process.execPath).catch(() => {}); // starts libuv's thread pool
await idleBackgroundThreads();
// /proc/<pid>/task/<tid>/stat, field 41: the scheduling policy (0 normal, 5 SCHED_IDLE)
const policy = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[38]);
console.log(JSON.stringify(readdirSync('/proc/self/task').map((t) => [Number(t) === process.pid, policy(t)])));
`;

test('idleBackgroundThreads: helper threads under SCHED_IDLE, the event loop untouched', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const threads = JSON.parse(out) as [boolean, number][];
  assert.deepEqual(threads.filter(([isMain]) => isMain), [[true, 0]]);
  const others = threads.filter(([isMain]) => !isMain);
  assert.ok(others.length >= 4, `V8 and libuv threads: ${out}`);
  assert.ok(others.every(([, p]) => p === 5), out);
});
