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

test('NODE_FLAGS: npm start and bench:otr run with them, and they cap the young generation at 1 MB semi-spaces', async () => {
  const { NODE_FLAGS } = await import('./v8-tune.ts');
  const { readFileSync } = await import('node:fs');
  const flags = NODE_FLAGS.join(' ');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.start!, new RegExp(`exec node ${flags} dist/src/main\\.js$`));
  assert.match(pkg.scripts['bench:otr']!, new RegExp(`node ${flags} dist/bench/otr\\.js$`));
  // The bin keeps the portable `#!/usr/bin/env node`: `env -S` is missing from BusyBox (Alpine images).
  const shebang = readFileSync(new URL('../../bin/otrbnc.js', import.meta.url), 'utf8').split('\n')[0];
  assert.equal(shebang, '#!/usr/bin/env node');

  // Allocation pressure grows the semi-spaces when nothing caps them.
  const probe = `const keep = []; for (let i = 0; i < 400000; i++) { keep.push({ i }); if (keep.length > 20000) keep.length = 0; }
    const s = (await import('node:v8')).getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    console.log(s.space_size);`;
  const newSpace = (args: readonly string[]) => Number(execFileSync(process.execPath, [...args, '--input-type=module', '-e', probe], { encoding: 'utf8' }));
  assert.ok(newSpace(NODE_FLAGS) <= 2 * 1024 * 1024, 'with NODE_FLAGS: at most two 1 MB semi-spaces');
  assert.ok(newSpace([]) > 2 * 1024 * 1024, 'without them the probe grows the young generation (else it proves nothing)');
});

test('tuneV8 holds TurboFan back until tierUpEagerly, and a function that ran meanwhile is optimized soon after', () => {
  // %GetOptimizationStatus bit 4: optimized code. Compiles on the main thread, so the status is final at once.
  const script = `
    const { tuneV8, tierUpEagerly } = await import(${JSON.stringify(new URL('./v8-tune.ts', import.meta.url).href)});
    function hot(a) { let s = 0; for (let i = 0; i < 8; i++) s += (a * i) ^ (s >>> 1); return s; }
    const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0;
    let x = 0;
    tuneV8();
    for (let i = 0; i < 300000; i++) x += hot(i);
    const held = !optimized();
    tierUpEagerly();
    let calls = 0;
    while (!optimized() && calls < 100000) x += hot(calls++);
    console.log(JSON.stringify({ held, calls, x: x !== 0 }));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const { held, calls } = JSON.parse(out) as { held: boolean; calls: number };
  assert.ok(held, 'no optimized code while held back');
  assert.ok(calls < 5000, `optimized within a few hundred calls of tierUpEagerly, took ${calls}`);
});
