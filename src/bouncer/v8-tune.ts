// V8 settings for a long-running bouncer process. Import and call tuneV8() as early as possible (before the
// config is parsed): it only prevents growth that has not happened yet.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Node options the bouncer runs with, on the command line (npm start, bench:otr, bench:relay; a test
 * keeps them equal), because V8 reads them only when it starts: semi-spaces of 1 MB. They had grown to
 * 4 MB while the modules loaded, before tuneV8() could stop them, and a registration burst then made all
 * of it resident. Not in bin/otrbnc.js: a shebang with options needs `env -S`, which BusyBox (Alpine)
 * lacks, and the bin runs through tsx anyway (27 MB more). With tierUpEagerly() after the start-up burst, measured with the team harness (100
 * networks, 5000 round trips, pinned, 4 runs each, alternating with the previous build): RSS per idle
 * network 25–31 KB (before 68–101), with 1 network 57 MB (61), p99 round trip 409–1079 µs (857–1140),
 * CPU per line unchanged within noise. (`--v8-pool-size=1` saved a little more RSS but delayed the OTR
 * data path's optimized code: one-way messages 1.5× slower in bench:otr.)
 */
export const NODE_FLAGS = ['--max-semi-space-size=1'] as const;

let done = false;
let fullGc: (() => void) | null = null;

/**
 * Keep V8's young generation at its initial size. Loading a large config and registering hundreds of
 * networks allocate in bursts; left alone V8 grows the semi-spaces to 16 MB each and keeps them resident
 * for the life of the process (measured: the largest part of the RSS per idle network). Relay throughput
 * did not change measurably. NODE_FLAGS also caps them, from the start.
 */
export function tuneV8(): void {
  if (done) return;
  done = true;
  setFlagsFromString('--semi-space-growth-factor=1');
  holdOptimizationBack();
  // A handle on V8's full GC for collectStartupGarbage(); only contexts created from here on see `gc`.
  setFlagsFromString('--expose-gc');
  fullGc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
}

/**
 * Ends holdOptimizationBack() and optimizes hot functions after about 1/33 of V8's default amount of work
 * (132 KB of bytecode run). The per-read and per-write paths (one line per TCP segment when traffic is
 * light) otherwise become hot only after minutes of such traffic, and each TurboFan compile then takes
 * the CPU from the event loop for up to ~12 ms: on one core (as ZNC runs) that made the p99 relay latency
 * (team harness, 5000 round trips after a flood: 38 compiles with 63 ms of compiling among them; 9–11
 * compiles with this budget, p99 down from 2.0–2.5× ZNC's to 1.4–1.5×). It also brings the OTR data path
 * to full speed sooner.
 * Called once the start-up registrations are over (collectStartupGarbage), not before: with it, code that
 * runs only while networks register got optimized too, and its compiles left ~0.6 MB of code and 1–4 MB
 * of freed compiler memory in the helper threads' malloc arenas (RSS with 100 networks against 1).
 */
export function tierUpEagerly(): void {
  if (fallbackTierUp) clearTimeout(fallbackTierUp);
  fallbackTierUp = undefined;
  setFlagsFromString('--turbofan');
  setFlagsFromString('--interrupt-budget=4000');
}

/** At the latest this long after tuneV8(), optimizing starts even if the start-up burst never ends. */
const HOLD_OPTIMIZATION_MAX_MS = 60_000;
let fallbackTierUp: ReturnType<typeof setTimeout> | undefined;

/**
 * No TurboFan compiles until tierUpEagerly(): start-up (the config's YAML parse, module loading, the
 * registration burst) runs in V8's interpreter and baseline code. Parsing a config with 100 networks made
 * V8 optimize the yaml library's parser (compiles of 10–45 ms each), and the compilers' freed memory
 * stayed resident in the helper threads' malloc arenas: about 2.4 MB with 100 networks, most of the RSS
 * per idle network. Measured (1 against 100 networks, settled, 5 pairs): 29.5 KB per network before,
 * 8.0 KB with this. With 1000 networks: all registered 0.93–1.12 s after start instead of 0.87–0.95 s,
 * and 61–62 MB of RSS instead of 65–66.
 * `--no-turbofan` is undone cleanly: a function that ran meanwhile is optimized within a few hundred
 * calls of `--turbofan` (`--max-optimized-bytecode-size=0` would disable optimizing it for good, and a
 * huge interrupt budget would stay in its counter).
 */
function holdOptimizationBack(): void {
  setFlagsFromString('--no-turbofan');
  fallbackTierUp = setTimeout(tierUpEagerly, HOLD_OPTIMIZATION_MAX_MS);
  fallbackTierUp.unref();
}

/**
 * One full GC that compacts every page. An idle bouncer allocates almost nothing, so V8 may not run a
 * major GC for hours after start-up, and a normal one leaves the long-lived per-network objects spread
 * over pages that the registration burst's garbage had filled. Compacting packs them: measured with
 * 1000 idle networks, ~7 MB less RSS. Called once such a burst is over; the relay path never pays for it.
 */
export function collectStartupGarbage(): void {
  void idleBackgroundThreads(); // threads started since tuneV8(): libuv's pool starts on first use
  tierUpEagerly();
  if (!fullGc) return;
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    fullGc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * Puts every thread but the event loop's (V8's JIT compiler and GC helpers, libuv's pool: DNS, file I/O,
 * key generation) under SCHED_IDLE: they run only when no normal thread wants the CPU, and a waking event
 * loop preempts them at once. On one core (pinned like ZNC, or a small VM) a background TurboFan compile
 * otherwise holds the CPU for a scheduler slice while a line waits; nice 19 was not enough (Linux's EEVDF
 * lets the running thread finish its slice). Measured with the team harness, 5000 round trips: p99 from
 * ~1.5× ZNC's to ~1.1×, p50 at parity; floods then run a little longer unoptimized (CPU per line in
 * 0.6 → 0.8–1.0 µs, ZNC 5 µs). Linux only, through util-linux's `chrt` (no native code); without it nothing
 * changes. A thread inherits its creator's policy, and the event loop creates libuv's pool lazily, hence
 * the second call from collectStartupGarbage(). Resolves when done (for tests); callers need not wait.
 * For the relay process only: a CPU-bound process (bench:otr) gets its optimized code later this way.
 */
export function idleBackgroundThreads(): Promise<void> {
  if (process.platform !== 'linux') return Promise.resolve();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task').filter((t) => /^\d+$/.test(t) && Number(t) !== process.pid);
  } catch {
    return Promise.resolve();
  }
  if (tids.length === 0) return Promise.resolve();
  // One shell for all threads; a thread that ended meanwhile only fails its own chrt.
  const script = tids.map((t) => `chrt --idle --pid 0 ${t} 2>/dev/null`).join('; ');
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], () => resolve());
  });
}
