// OTR through the bouncer against plaintext relay, in the same run and over the same path:
// alice's raw client → otrbnc (otr module) → ngircd → bob (real libotr, test/interop/otrpeer) who
// echoes every message back the same way. Plaintext: bob is on the module's ignore list (the module
// passes lines untouched). Encrypted: an OTR session. Figures: sequential round trips (p50/p99 ms,
// round trips/s) and pipelined throughput (messages/s one way, echoed back).
//   node --import tsx bench/otr-module.ts [--messages N] [--json]
import { performance } from 'node:perf_hooks';
import { startWorld, otr, otrSays, type World } from '../test/otr-module/world.ts';
import { makeSide, pump, testKeys } from '../src/otr/testing/pair.ts';
import { OtrGlue } from '../modules/otr/otr-module.ts';

// Time spent inside the module's message hooks (encrypt on the way out, decrypt on the way in),
// the bouncer-side OTR cost per message, to set against the engine alone.
const hookMs = { out: 0, in: 0 };
for (const [name, key] of [['onOutgoingMessage', 'out'], ['onIncomingMessage', 'in']] as const) {
  const orig = OtrGlue.prototype[name];
  OtrGlue.prototype[name] = function (this: OtrGlue, ev) {
    const t0 = performance.now();
    try {
      return orig.call(this, ev);
    } finally {
      hookMs[key] += performance.now() - t0;
    }
  };
}

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--messages') + 1]) || 300;
const json = args.includes('--json');

interface Run {
  mode: string;
  p50: number;
  p99: number;
  roundTripsPerSec: number;
  pipelinedPerSec: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Hooks {
  /** ms per message inside the module: outgoing (encrypt) + incoming (decrypt), sequential phase. */
  perMessage: number;
}

async function measure(w: World, mode: string, expectEncrypted: boolean): Promise<Run & Hooks> {
  hookMs.out = 0;
  hookMs.in = 0;
  let seq = 0;
  const tag = `${mode}-${Date.now()}`;
  const rtts: number[] = [];
  w.bob.onMessage = (m) => {
    if (m.encrypted !== expectEncrypted) throw new Error(`${mode}: bob got a message with encrypted=${m.encrypted}`);
    void w.bob.say('alice', m.text);
  };
  // Sequential round trips.
  for (let i = 0; i < N; i++) {
    const text = `${tag} seq ${seq++} ${'x'.repeat(100)}`;
    const t0 = performance.now();
    w.alice.send(`PRIVMSG bob :${text}`);
    await w.alice.waitFor(`PRIVMSG alice :${text}`, 10000);
    rtts.push(performance.now() - t0);
  }
  const sorted = [...rtts].sort((a, b) => a - b);
  const total = rtts.reduce((a, b) => a + b, 0);
  const perMessage = (hookMs.out + hookMs.in) / N;
  // Pipelined: send N at once, wait for the last echo.
  const t0 = performance.now();
  let last = '';
  for (let i = 0; i < N; i++) {
    last = `${tag} pipe ${i} ${'y'.repeat(100)}`;
    w.alice.send(`PRIVMSG bob :${last}`);
  }
  await w.alice.waitFor(`PRIVMSG alice :${last}`, 60000);
  const pipe = performance.now() - t0;
  w.bob.onMessage = undefined;
  return { mode, p50: pct(sorted, 50), p99: pct(sorted, 99), roundTripsPerSec: (N * 1000) / total, pipelinedPerSec: (N * 1000) / pipe, perMessage };
}

/** The engine alone, in process: one round trip = encrypt, decrypt, encrypt, decrypt (ms per round trip). */
// Per side that is one encryption and one decryption per round trip: half a round trip here equals the
// module's per-message hook time through the bouncer.
async function engineOnly(): Promise<{ p50: number; p99: number }> {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  a.session.startAke();
  pump(a, b);
  if (a.session.state !== 'encrypted') throw new Error('engine pair did not go secure');
  const rtts: number[] = [];
  for (let i = 0; i < N; i++) {
    const text = `engine ${i} ${'x'.repeat(100)}`;
    const t0 = performance.now();
    a.session.send(text);
    pump(a, b);
    b.session.send(text);
    pump(a, b);
    rtts.push(performance.now() - t0);
  }
  const sorted = rtts.sort((x, y) => x - y);
  return { p50: pct(sorted, 50), p99: pct(sorted, 99) };
}

const engine = await engineOnly();
const w = await startWorld({ logLevel: "info" });
try {
  // Plaintext relay: OTR disabled for bob by the module's ignore list.
  otr(w, 'ignore bob');
  await otrSays(w, /^Added/);
  const plain = await measure(w, 'plaintext', false);
  otr(w, 'ignore --remove bob');
  await otrSays(w, /^Removed/);
  w.alice.send('PRIVMSG bob :?OTR?');
  await otrSays(w, /^\[bob\] Gone \x02SECURE\x02/, 10000);
  await w.bob.waitState('alice', 'encrypted');
  const enc = await measure(w, 'encrypted', true);
  const rows = [plain, enc];
  if (json) console.log(JSON.stringify({ messages: N, rows, engine }));
  else {
    console.log(`otr module benchmark, ${N} messages of ~120 bytes each way, echo by libotr over ngircd`);
    console.log('mode        p50 ms   p99 ms   round trips/s   pipelined msg/s');
    for (const r of rows) {
      console.log(`${r.mode.padEnd(10)} ${r.p50.toFixed(2).padStart(7)} ${r.p99.toFixed(2).padStart(8)} ${r.roundTripsPerSec.toFixed(0).padStart(15)} ${r.pipelinedPerSec.toFixed(0).padStart(17)}`);
    }
    const overhead = enc.p50 - plain.p50;
    console.log(`OTR overhead per round trip through the bouncer (p50): ${overhead.toFixed(2)} ms; throughput ratio plaintext/encrypted ${(plain.pipelinedPerSec / enc.pipelinedPerSec).toFixed(2)}x`);
    console.log(`engine alone, in process (2 encryptions + 2 decryptions): p50 ${engine.p50.toFixed(2)} ms, p99 ${engine.p99.toFixed(2)} ms`);
    const module = enc.perMessage - plain.perMessage;
    console.log(`inside the module per round trip (1 encryption + 1 decryption, hooks): ${enc.perMessage.toFixed(3)} ms encrypted, ${plain.perMessage.toFixed(3)} ms plaintext; ` +
      `against the engine's half round trip (${(engine.p50 / 2).toFixed(3)} ms): ${(module / (engine.p50 / 2)).toFixed(2)}x`);
  }
} finally {
  await w.stop();
}
