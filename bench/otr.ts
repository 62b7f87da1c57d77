// OTR benchmark: the same workloads on our engine and on real libotr 4.1.1, in the same run.
//   npm run bench:otr [-- --json] [--only ake,pingpong,oneway,big,smp,keygen] [--n-scale X] [--warmup N] [--runs K]
// It runs compiled (dist/bench/otr.js, built by the script), as the bouncer runs (`npm start`): under tsx
// the loader's own thread and compile jobs share the machine with the workloads.
// libotr runs in bench/libotr-bench.c (built into build/ like the interop peer); our engine runs here
// with the same structure: two engine instances (alice@bench, bob@bench) in one process, one in-memory
// FIFO per direction, pump until idle, the same N, 2 warm-ups, the same texts, the same DSA keys (read
// from the libotr key files the C driver uses). Ratio = ours / libotr on the wall-time medians.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { buildC, REPO_ROOT } from '../test/interop/build-peer.ts';
import { OtrAccount, POLICY_OPPORTUNISTIC, generateDsaKey, type OtrEvent, type OtrSession } from '../src/otr/index.ts';
import { parsePrivateKeys, serializePrivateKeys } from '../src/otr/keyfiles.ts';
import { generateInstanceTag } from '../src/otr/instance-tags.ts';
import { modexpCounter } from '../src/otr/crypto/modexp.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';
import type { DsaPrivateKey } from '../src/otr/dsa.ts';
import { tierUpEagerly, tuneV8 } from '../src/bouncer/v8-tune.ts';

// The engine runs inside the bouncer, so it is measured with the bouncer's V8 settings once started
// (v8-tune.ts; the script passes NODE_FLAGS). Not with the relay's SCHED_IDLE helper threads
// (idleBackgroundThreads): in this CPU-bound loop they would deliver optimized code later (measured:
// one-way ~1.5× slower over the 2000 iterations).
tuneV8();
tierUpEagerly();

const WORKLOADS = [
  { key: 'ake_ms', short: 'ake', unit: 'ms', n: 50 },
  { key: 'msg_us_pingpong', short: 'pingpong', unit: 'us', n: 2000 },
  { key: 'msg_us_oneway', short: 'oneway', unit: 'us', n: 2000 },
  { key: 'msg_us_big', short: 'big', unit: 'us', n: 500 },
  { key: 'smp_ms', short: 'smp', unit: 'ms', n: 30 },
  { key: 'keygen_ms', short: 'keygen', unit: 'ms', n: 3 },
] as const;
type Key = (typeof WORKLOADS)[number]['key'];

interface Options { json: boolean; only: Set<string>; scale: number; warmup: number; runs: number; child: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, only: new Set(WORKLOADS.map((w) => w.short)), scale: 1, warmup: 2, runs: 3, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--only') {
      o.only = new Set(val().split(','));
      for (const s of o.only) if (!WORKLOADS.some((w) => w.short === s)) throw new Error(`unknown workload ${s}`);
    } else if (a === '--n-scale') {
      o.scale = Number(val());
      if (!(o.scale > 0)) throw new Error('--n-scale takes a positive number');
    } else if (a === '--warmup') {
      o.warmup = Number(val());
      if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new Error('--warmup takes a whole number');
    } else if (a === '--runs') {
      o.runs = Number(val());
      if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs takes a whole number from 1');
    } else if (a === '--child') o.child = true;
    else throw new Error(`unknown option ${a} (try --json, --only LIST, --n-scale X, --warmup N, --runs K)`);
  }
  return o;
}

/** One workload's figures, in the shape libotr-bench prints. */
interface Figures {
  ok: boolean;
  unit: string;
  n: number;
  min: number;
  median: number;
  mean: number;
  p90: number;
  max: number;
  cpu: { min: number; median: number; mean: number };
  wire_msgs_per_iter: { a2b: number; b2a: number };
  wire_bytes_per_iter: { a2b: number; b2a: number };
  /** DH and SMP modexps (the 1536-bit group); libotr-bench counts libotr's gcry_mpi_powm calls. */
  modexps_per_iter: number;
  /** Ours only: DSA sign/verify modexps (libotr's DSA runs inside libgcrypt, not counted there). */
  dsa_modexps_per_iter?: number;
  heartbeats: number;
  error?: string;
}

// ---------------------------------------------------------------- our engine, two sides in one process

/**
 * The deterministic text libotr-bench makes: tag, 8-digit sequence, ':', filler. Returned flat (one
 * sequential string, as the C driver's ready buffer): built with `+=` it would be a rope of `len` pieces
 * that V8 joins on its first read, inside the timed window (~7 µs for 2000 bytes) although WORKLOAD.md
 * puts text generation outside it.
 */
function makeText(len: number, tag: string, seq: number): string {
  const filler = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-';
  const head = `${tag}${String(seq).padStart(8, '0')}:`;
  const bytes = Buffer.alloc(len);
  for (let i = 0; i < len; i++) bytes[i] = i < head.length ? head.charCodeAt(i) : filler.charCodeAt((i * 7 + seq) % filler.length);
  return bytes.toString('latin1');
}

class Side {
  account!: OtrAccount;
  session!: OtrSession;
  inbox: string[] = [];
  other!: Side;
  sentMsgs = 0;
  sentBytes = 0;
  lastPlain: string | undefined;
  secure = 0;
  smpSuccess = 0;
  heartbeats = 0;
  smpAsked = false;
  error: string | undefined;
  maxSize = 0;

  constructor(readonly name: string, private readonly key: DsaPrivateKey, private readonly tag: number) {}

  /** libotr's otrl_context_forget_all: no contexts, no known fingerprints. */
  fresh(): void {
    this.session?.dispose();
    this.inbox = [];
    this.account = new OtrAccount({ name: this.name, protocol: 'irc', policy: POLICY_OPPORTUNISTIC, privateKey: this.key, instanceTag: this.tag });
    this.session = this.account.createSession(this.other.name, {
      inject: (wire) => {
        this.other.inbox.push(wire);
        this.sentMsgs++;
        this.sentBytes += wire.length;
      },
      event: (e) => this.onEvent(e),
      maxMessageSize: () => this.maxSize,
    });
  }

  private onEvent(e: OtrEvent): void {
    switch (e.type) {
      case 'gone_secure': this.secure++; break;
      case 'smp_asked': this.smpAsked = true; break;
      case 'smp_success': this.smpSuccess++; break;
      case 'heartbeat_sent': this.heartbeats++; break;
      case 'smp_progress': case 'new_fingerprint': case 'still_secure': break;
      default: this.error ??= `event ${JSON.stringify(e)}`;
    }
  }

  deliverOne(): void {
    const r = this.session.receive(this.inbox.shift()!);
    if (r.kind === 'message') {
      if (r.encrypted) this.lastPlain = r.text;
      else this.error ??= 'plaintext on the wire';
    }
    if (this.smpAsked) {
      // Answered from the pump loop, as a UI does.
      this.smpAsked = false;
      this.session.smpRespond('s3cret');
    }
  }
}

function pump(a: Side, b: Side): void {
  for (let rounds = 0; a.inbox.length || b.inbox.length; rounds++) {
    if (rounds > 100000) throw new Error('pump does not converge');
    while (b.inbox.length) b.deliverOne();
    while (a.inbox.length) a.deliverOne();
  }
}

function stats(v: number[]) {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return { min: s[0]!, median: median(s), mean: s.reduce((x, y) => x + y, 0) / n, p90: s[Math.floor((n - 1) * 0.9)]!, max: s[n - 1]! };
}

/**
 * Each side's instance tag, made once at start-up as libotr-bench does (WORKLOAD.md, common setup). Made
 * per workload, a tag of 2^31 or more in one workload after smaller ones in the previous made V8 drop the
 * data path's optimized code (a field's representation changed) inside the setup AKE, and its
 * re-optimization fell into the timed window.
 */
const TAGS = { alice: generateInstanceTag(), bob: generateInstanceTag() };

async function runOurs(opts: Options, keys: { alice: DsaPrivateKey; bob: DsaPrivateKey }, scratch: string): Promise<Partial<Record<Key, Figures>>> {
  const alice = new Side('alice@bench', keys.alice, TAGS.alice);
  const bob = new Side('bob@bench', keys.bob, TAGS.bob);
  alice.other = bob;
  bob.other = alice;
  const out: Partial<Record<Key, Figures>> = {};

  const check = (cond: boolean, why: string) => { if (!cond) throw new Error(why); };
  const encrypted = () => {
    check(alice.session.state === 'encrypted' && bob.session.state === 'encrypted', 'not encrypted on both sides');
    check(alice.session.version === 3 && bob.session.version === 3, 'not protocol v3');
    check(alice.session.theirInstanceTag === bob.account.instanceTag && bob.session.theirInstanceTag === alice.account.instanceTag, 'instance tags do not match');
  };
  const freshAke = () => {
    alice.fresh();
    bob.fresh();
    alice.session.startAke();
    pump(alice, bob);
    encrypted();
  };
  const sideErrors = () => {
    for (const s of [alice, bob]) if (s.error) throw new Error(`${s.name}: ${s.error}`);
  };

  type Iter = (i: number) => void | Promise<void>;
  // beforeEach runs outside the timed window (resets, text generation), as in libotr-bench.
  const run = async (w: (typeof WORKLOADS)[number], setup: () => void, iter: Iter, warmups = opts.warmup, beforeEach?: (i: number) => void) => {
    const n = Math.max(1, Math.round(w.n * opts.scale));
    const scale = w.unit === 'ms' ? 1 : 1000;
    const wall: number[] = [];
    const cpu: number[] = [];
    let a2b = 0, b2a = 0, a2bBytes = 0, b2aBytes = 0, modexps = 0, dsaModexps = 0;
    try {
      setup();
      for (const s of [alice, bob]) { s.heartbeats = 0; s.error = undefined; }
      for (let i = -warmups; i < n; i++) {
        beforeEach?.(i);
        alice.sentMsgs = bob.sentMsgs = alice.sentBytes = bob.sentBytes = 0;
        const m0 = modexpCounter.count;
        const d0 = modexpCounter.belowGroup;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        // Awaited only when it is a promise (key generation): an await on the others' undefined would put
        // a microtask turn (0.1–0.3 µs) inside the window, which libotr-bench does not have.
        const pending = iter(i);
        if (pending) await pending;
        const t1 = performance.now();
        const c1 = process.cpuUsage(c0);
        sideErrors();
        if (i < 0) continue;
        wall.push((t1 - t0) * scale);
        cpu.push(((c1.user + c1.system) / 1000) * scale);
        a2b += alice.sentMsgs; b2a += bob.sentMsgs; a2bBytes += alice.sentBytes; b2aBytes += bob.sentBytes;
        modexps += modexpCounter.count - m0;
        dsaModexps += modexpCounter.belowGroup - d0;
      }
      const c = stats(cpu);
      out[w.key] = {
        ok: true, unit: w.unit, n, ...stats(wall), cpu: { min: c.min, median: c.median, mean: c.mean },
        wire_msgs_per_iter: { a2b: a2b / n, b2a: b2a / n }, wire_bytes_per_iter: { a2b: a2bBytes / n, b2a: b2aBytes / n },
        modexps_per_iter: (modexps - dsaModexps) / n, dsa_modexps_per_iter: dsaModexps / n, heartbeats: alice.heartbeats + bob.heartbeats,
      };
    } catch (e) {
      out[w.key] = { ok: false, unit: w.unit, n, error: (e as Error).message } as Figures;
      if (!opts.json) process.stderr.write(`otrbnc ${w.key} FAILED: ${(e as Error).message}\n`);
    }
  };
  const want = (short: string) => opts.only.has(short);
  const W = Object.fromEntries(WORKLOADS.map((w) => [w.short, w])) as Record<string, (typeof WORKLOADS)[number]>;

  if (want('ake')) {
    // Fresh accounts and sessions before each iteration, outside the window (otrl_context_forget_all).
    const forgetAll = () => {
      alice.fresh();
      bob.fresh();
      alice.secure = bob.secure = 0;
    };
    await run(W.ake!, () => {}, () => {
      alice.session.startAke();
      pump(alice, bob);
      encrypted();
      check(alice.secure === 1 && bob.secure === 1, `gone_secure ${alice.secure}/${bob.secure}`);
    }, opts.warmup, forgetAll);
  }
  // The texts of an iteration, made before its window opens.
  let a = '';
  let b = '';
  const makeTexts = (len: number) => (i: number) => {
    a = makeText(len, 'A', i + 1000000);
    b = makeText(len, 'B', i + 1000000);
  };
  if (want('pingpong')) {
    await run(W.pingpong!, freshAke, () => {
      alice.session.send(a);
      pump(alice, bob);
      check(bob.lastPlain === a, 'bob decrypted the wrong text');
      bob.session.send(b);
      pump(alice, bob);
      check(alice.lastPlain === b, 'alice decrypted the wrong text');
    }, opts.warmup, makeTexts(100));
  }
  const oneway = () => {
    alice.session.send(a);
    pump(alice, bob);
    check(bob.lastPlain === a, 'bob decrypted the wrong text');
  };
  if (want('oneway')) await run(W.oneway!, freshAke, oneway, opts.warmup, makeTexts(100));
  if (want('big')) {
    await run(W.big!, () => { alice.maxSize = 0; freshAke(); alice.maxSize = 400; }, oneway, opts.warmup, makeTexts(2000));
    alice.maxSize = 0;
  }
  if (want('smp')) {
    await run(W.smp!, freshAke, () => {
      alice.smpSuccess = bob.smpSuccess = 0;
      alice.session.smpStart('s3cret');
      pump(alice, bob);
      check(alice.smpSuccess === 1 && bob.smpSuccess === 1, `SMP success ${alice.smpSuccess}/${bob.smpSuccess}`);
    });
  }
  if (want('keygen')) {
    const file = join(scratch, 'keygen.key');
    await run(W.keygen!, () => {}, async (i) => {
      const key = await generateDsaKey();
      await writeFileAtomic(file, serializePrivateKeys([{ account: `keygen${i}@bench`, protocol: 'irc', key }]));
      unlinkSync(file);
    }, 0);
  }
  return out;
}

// ---------------------------------------------------------------- main

/** One workload's line of the result, as printed with --json. */
interface Row {
  otrbnc: { median: number | null; error?: string; run_medians?: number[]; [k: string]: unknown };
  libotr: { median: number | null; error?: string; run_medians?: number[]; [k: string]: unknown };
  ratio: number | null;
  ratio_cpu: number | null;
  unit: string;
}
interface RunResult { libotr: string; rows: Record<string, Row> }

/** One run: workload by workload, libotr then ours (this process), so that a change in machine load hits both alike. */
async function measureOnce(opts: Options): Promise<RunResult> {
  const bin = buildC('bench/libotr-bench.c', 'libotr-bench');
  const keyDir = join(REPO_ROOT, 'build', 'bench-keys');
  mkdirSync(keyDir, { recursive: true });

  // libotr-bench also creates the two key files when they are missing.
  type LibRun = { version: string; gcrypt: string; workloads: Partial<Record<Key, Figures>>; ok: boolean };
  const runLib = (short: string): LibRun => {
    try {
      return JSON.parse(execFileSync(bin, ['--keys', keyDir, '--only', short, '--n-scale', String(opts.scale), '--warmup', String(opts.warmup)], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', opts.json ? 'ignore' : 'inherit'], maxBuffer: 1 << 24,
      }));
    } catch (e) {
      const out = (e as { stdout?: string }).stdout;
      if (!out) throw e;
      return JSON.parse(out);
    }
  };
  const load = (name: string) => {
    const path = join(keyDir, `${name}.key`);
    return parsePrivateKeys(readFileSync(path), path).find((k) => k.account === `${name}@bench`)!.key;
  };
  const lib: LibRun = { version: '', gcrypt: '', workloads: {}, ok: true };
  const ours: Partial<Record<Key, Figures>> = {};
  const scratch = mkdtempSync(join(tmpdir(), 'otrbnc-bench-'));
  try {
    for (const w of WORKLOADS) {
      if (!opts.only.has(w.short)) continue;
      const l = runLib(w.short);
      lib.version = l.version;
      lib.gcrypt = l.gcrypt;
      Object.assign(lib.workloads, l.workloads);
      const keys = { alice: load('alice'), bob: load('bob') };
      Object.assign(ours, await runOurs({ ...opts, only: new Set([w.short]) }, keys, scratch));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const rows: Record<string, Row> = {};
  for (const w of WORKLOADS) {
    const o = ours[w.key];
    const l = lib.workloads[w.key];
    if (!o && !l) continue;
    rows[w.key] = {
      otrbnc: o?.ok ? { median: round(o.median), cpu_median: round(o.cpu.median), modexps_per_iter: o.modexps_per_iter, dsa_modexps_per_iter: o.dsa_modexps_per_iter, wire_bytes_per_iter: o.wire_bytes_per_iter, heartbeats: o.heartbeats } : { median: null, error: o?.error },
      libotr: l?.ok ? { median: round(l.median), cpu_median: round(l.cpu.median), modexps_per_iter: l.modexps_per_iter, wire_bytes_per_iter: l.wire_bytes_per_iter, heartbeats: l.heartbeats } : { median: null, error: l?.error },
      ratio: o?.ok && l?.ok ? round(o.median / l.median) : null,
      ratio_cpu: o?.ok && l?.ok ? round(o.cpu.median / l.cpu.median) : null,
      unit: w.unit,
    };
  }
  return { libotr: `${lib.version} (libgcrypt ${lib.gcrypt})`, rows };
}

/**
 * K runs, each in a fresh process (ours starts cold every time, as libotr-bench does), one after the
 * other. This machine's speed drifts by up to 1.6× between runs, for libotr as much as for us: each
 * side's figure is the median of its K run medians, and the ratio is taken between those.
 */
async function measureRuns(opts: Options, argv: string[]): Promise<RunResult> {
  const runs: RunResult[] = [];
  for (let k = 0; k < opts.runs; k++) {
    if (!opts.json) process.stderr.write(`run ${k + 1} of ${opts.runs}\n`);
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, ...argv, '--child'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24,
    });
    runs.push(JSON.parse(out) as RunResult);
  }
  const rows: Record<string, Row> = {};
  for (const key of Object.keys(runs[0]!.rows)) {
    const all = runs.map((r) => r.rows[key]!);
    const side = (name: 'otrbnc' | 'libotr') => {
      const failed = all.find((r) => r[name].median === null);
      if (failed) return failed[name];
      const pick = (f: string) => round(median(all.map((r) => r[name][f] as number)));
      return { ...all[0]![name], median: pick('median'), cpu_median: pick('cpu_median'), run_medians: all.map((r) => r[name].median!) };
    };
    const o = side('otrbnc');
    const l = side('libotr');
    const both = o.median !== null && l.median !== null;
    rows[key] = {
      otrbnc: o, libotr: l, unit: all[0]!.unit,
      ratio: both ? round(o.median! / l.median!) : null,
      ratio_cpu: both ? round((o.cpu_median as number) / (l.cpu_median as number)) : null,
    };
  }
  return { libotr: runs[0]!.libotr, rows };
}

function median(v: number[]): number {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (opts.child) {
    process.stdout.write(JSON.stringify(await measureOnce({ ...opts, json: true })) + '\n');
    return;
  }
  const { libotr, rows } = opts.runs === 1 ? await measureOnce(opts) : await measureRuns(opts, argv);

  if (opts.json) {
    process.stdout.write(JSON.stringify(rows) + '\n');
  } else {
    const t = new Table({ style: { head: [], border: [] }, head: ['workload', 'unit', 'otrbnc median', 'libotr median', 'ratio', 'cpu ratio', 'group modexps/iter (ours / libotr)'] });
    for (const [k, v] of Object.entries(rows)) {
      t.push([k, v.unit, v.otrbnc.median ?? `FAILED: ${v.otrbnc.error}`, v.libotr.median ?? `FAILED: ${v.libotr.error}`,
        v.ratio === null ? '-' : `${v.ratio.toFixed(2)}×`, v.ratio_cpu === null ? '-' : `${v.ratio_cpu.toFixed(2)}×`,
        `${v.otrbnc.modexps_per_iter ?? '-'} / ${v.libotr.modexps_per_iter ?? '-'}`]);
    }
    const runs = opts.runs === 1 ? 'one run' : `median of ${opts.runs} runs (each a fresh process)`;
    process.stdout.write(`libotr ${libotr} vs otrbnc, ${runs}, n-scale ${opts.scale}, ${opts.warmup} warm-ups\n`);
    process.stdout.write(t.toString() + '\n');
    process.stdout.write('ratio = otrbnc / libotr on wall-time medians (lower is better). Modexps: DH and SMP in the 1536-bit group; DSA sign/verify are not counted on either side.\n');
    if (opts.runs > 1) {
      for (const [k, v] of Object.entries(rows)) {
        if (v.otrbnc.run_medians && v.libotr.run_medians) {
          process.stdout.write(`${k} per run: otrbnc ${v.otrbnc.run_medians.join(' ')}; libotr ${v.libotr.run_medians.join(' ')}\n`);
        }
      }
    }
  }
  process.exitCode = Object.values(rows).some((v) => v.ratio === null) ? 1 : 0;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
