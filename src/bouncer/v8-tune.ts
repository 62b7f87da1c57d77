// V8 settings for a long-running bouncer process. Import and call tuneV8() as early as possible (before the
// config is parsed): it only prevents growth that has not happened yet.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let done = false;
let fullGc: (() => void) | null = null;

/**
 * Keep V8's young generation at its initial size, and tier hot code up early. Loading a large config and
 * registering hundreds of networks allocate in bursts; left alone V8 grows the semi-spaces to 16 MB each
 * and keeps them resident for the life of the process (measured: the largest part of the RSS per idle
 * network). Relay throughput did not change measurably.
 */
export function tuneV8(): void {
  if (done) return;
  done = true;
  setFlagsFromString('--semi-space-growth-factor=1');
  // Optimize hot functions after about 1/33 of V8's default amount of work (132 KB of bytecode run).
  // The per-read and per-write paths (one line per TCP segment when traffic is light) otherwise become hot
  // only after minutes of such traffic, and each TurboFan compile then takes the CPU from the event loop
  // for up to ~12 ms: on one core (as ZNC runs) that was the p99 relay latency (measured: 38 compiles,
  // 63 ms of compiling inside 5000 round trips after a flood, 9–11 compiles with this budget).
  setFlagsFromString('--interrupt-budget=4000');
  lowerBackgroundThreads();
  // A handle on V8's full GC for collectStartupGarbage(); only contexts created from here on see `gc`.
  setFlagsFromString('--expose-gc');
  fullGc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
}

/**
 * One full GC that compacts every page. An idle bouncer allocates almost nothing, so V8 may not run a
 * major GC for hours after start-up, and a normal one leaves the long-lived per-network objects spread
 * over pages that the registration burst's garbage had filled. Compacting packs them: measured with
 * 1000 idle networks, ~7 MB less RSS. Called once such a burst is over; the relay path never pays for it.
 */
export function collectStartupGarbage(): void {
  lowerBackgroundThreads(); // threads started since tuneV8() (libuv's pool starts on first use)
  if (!fullGc) return;
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    fullGc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** The nice value of every thread but the event loop's. */
export const BACKGROUND_NICE = 19;

/**
 * Gives V8's helper threads (JIT compiler, concurrent GC) and libuv's pool (DNS, file I/O, key generation)
 * the lowest CPU priority, so that the event loop, which relays the lines, gets the CPU first whenever it
 * has work. On one core (pinned, or a small VM) a background compile otherwise runs in the middle of a
 * relayed line for a whole scheduler slice (measured: p99 round trip through the bouncer 1.0–1.5 ms, and
 * 0.4–0.6 ms like ZNC with this and the interrupt budget). Linux only: its nice value is per thread.
 * A thread inherits the priority of the thread that starts it: the event loop starts libuv's pool on first use,
 * so this runs again once start-up is over.
 */
export function lowerBackgroundThreads(): void {
  if (process.platform !== 'linux') return;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid) continue; // the main thread's id is the process id
    try {
      setPriority(tid, BACKGROUND_NICE);
    } catch {
      // gone already, or not allowed: only a latency optimisation
    }
  }
}
