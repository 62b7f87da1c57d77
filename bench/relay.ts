// Relay benchmark: how fast and how lean otrbnc relays plain private messages.
// A fake upstream IRC server and a client live in this process; the bouncer runs as a child
// process (`node NODE_FLAGS dist/src/main.js --config FILE`, what `npm start` runs), so its CPU time and RSS are its own.
//   npm run bench:relay [-- --lines N --latency K --networks M --mem-runs R --json --verbose]
// Figures: lines/s each way, bouncer CPU µs per relayed line (from /proc), round-trip latency
// p50/p99, RSS with 1 and with M idle networks and KB per extra network.
// Memory: a fresh bouncer with 1, then with M networks, R times alternately. Each RSS is read once the
// process has settled (start-up garbage collected: RSS sampled every 250 ms until 3 s without a change
// over 1 %, at most 30 s), as the median of those last samples; the figure is the median over the R pairs
// (default 5).
// Idle RSS of a Node process moves by 2-7 MB between starts, so M must be large (500; 1000 is better).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { REPO_ROOT } from '../test/interop/build-peer.ts';
import { NODE_FLAGS } from '../src/bouncer/v8-tune.ts';


interface Options {
  lines: number;
  latency: number;
  networks: number;
  warmup: number;
  memRuns: number;
  json: boolean;
  verbose: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { lines: 100000, latency: 1000, networks: 500, warmup: 10000, memRuns: 5, json: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} takes a whole number`);
      return v;
    };
    if (a === '--lines') o.lines = num();
    else if (a === '--latency') o.latency = num();
    else if (a === '--networks') o.networks = Math.max(1, num());
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--mem-runs') o.memRuns = Math.max(1, num());
    else if (a === '--json') o.json = true;
    else if (a === '--verbose') o.verbose = true;
    else throw new Error(`unknown option ${a} (try --lines N --latency K --networks M --mem-runs R --warmup W --json --verbose)`);
  }
  return o;
}

/** Calls `onLine` for every complete line arriving on `sock`. */
function lineReader(sock: Socket, onLine: (line: string) => void): void {
  let rest = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end));
      start = nl + 1;
    }
    rest = text.slice(start);
  });
}

/** A minimal IRC server: registers every connection, answers PING, hands PRIVMSGs to `onPrivmsg`. */
class FakeUpstream {
  readonly server: Server;
  readonly registered: Socket[] = [];
  onPrivmsg: (sock: Socket, line: string) => void = () => {};
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = createServer((sock) => {
      sock.setNoDelay(true);
      let nick = '*';
      lineReader(sock, (line) => {
        const cmd = line.slice(0, line.indexOf(' ') >>> 0).toUpperCase();
        if (cmd === 'PRIVMSG') return this.onPrivmsg(sock, line);
        if (cmd === 'CAP' && / LS/i.test(line)) sock.write(':fake CAP * LS :\r\n');
        else if (cmd === 'NICK') nick = line.slice(5).replace(/^:/, '');
        else if (cmd === 'USER') {
          sock.write(
            `:fake 001 ${nick} :Welcome ${nick}\r\n:fake 002 ${nick} :Host fake\r\n:fake 003 ${nick} :Created now\r\n` +
              `:fake 004 ${nick} fake 1 o o\r\n:fake 005 ${nick} CASEMAPPING=rfc1459 CHANTYPES=# NICKLEN=30 :are supported\r\n` +
              `:fake 422 ${nick} :No MOTD\r\n`,
          );
          this.registered.push(sock);
          this.waiters.splice(0).forEach((w) => w());
        } else if (cmd === 'PING') sock.write(`:fake PONG fake ${line.slice(5)}\r\n`);
      });
      sock.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  async waitRegistered(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.registered.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.registered.length} of ${n} networks registered`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  close(): void {
    for (const s of this.registered) s.destroy();
    this.server.close();
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}

async function startBouncer(dir: string, upstreamPort: number, networks: number): Promise<{ child: ChildProcess; port: number }> {
  const listenPort = await freePort();
  let yaml = `listen:\n  - { host: 127.0.0.1, port: ${listenPort}, tls: false }\ndata_dir: ${join(dir, 'data')}\nlog_level: warn\nusers:\n  bench:\n    password: benchpass\n    networks:\n`;
  for (let i = 1; i <= networks; i++) {
    yaml += `      net${i}:\n        host: 127.0.0.1\n        port: ${upstreamPort}\n        tls: false\n        nick: bench${i === 1 ? '' : i}\n        flood: { rate: 0, burst: 5 }\n`;
  }
  const file = join(dir, `bench-${networks}.yml`);
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [...NODE_FLAGS, join(REPO_ROOT, 'dist', 'src', 'main.js'), '--config', file], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, port: listenPort };
}

function cpuSeconds(pid: number): number {
  // utime + stime of every thread, in clock ticks (USER_HZ = 100 on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function connectClient(port: number): Promise<{ sock: Socket; lines: (fn: (l: string) => void) => void }> {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const sock = connect(port, '127.0.0.1');
      await once(sock, 'connect');
      sock.setNoDelay(true);
      let handler: (l: string) => void = () => {};
      lineReader(sock, (l) => handler(l));
      return { sock, lines: (fn) => (handler = fn) };
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function waitFor(set: (fn: (l: string) => void) => void, pred: (l: string) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    set((l) => {
      if (pred(l)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

async function flood(write: (i: number) => string, count: number, sink: Socket, received: () => number): Promise<number> {
  const start = process.hrtime.bigint();
  let i = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (i < count) {
        let chunk = '';
        for (let j = 0; j < 256 && i < count; j++, i++) chunk += write(i);
        if (!sink.write(chunk)) return sink.once('drain', pump);
      }
    };
    pump();
    const timer = setInterval(() => {
      if (received() >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
    setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`flood: ${received()} of ${count} lines arrived`));
    }, 120000).unref();
  });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** RSS (KB) once it has stopped moving: 3 s of 250 ms samples within 1 %, at most 30 s; their median. */
async function settledRss(pid: number, trace?: (s: string) => void): Promise<number> {
  const window: number[] = [];
  const deadline = Date.now() + 30000;
  for (;;) {
    window.push(rssKb(pid));
    if (window.length > 12) window.shift();
    if (window.length === 12) {
      const lo = Math.min(...window);
      if (Math.max(...window) - lo <= lo * 0.01 || Date.now() > deadline) break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  trace?.(`    rss samples (KB): ${window.join(' ')}`);
  return median(window);
}

const filler = 'x'.repeat(71);

async function main(): Promise<void> {
  const opt = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-bench-'));
  const up = new FakeUpstream();
  const upPort = await up.listen();
  const log = (s: string) => opt.json || process.stderr.write(s + '\n');
  const result: Record<string, number> = {};
  let bouncer: ChildProcess | undefined;
  try {
    const b = await startBouncer(dir, upPort, 1);
    bouncer = b.child;
    await up.waitRegistered(1, 30000);
    const pid = bouncer.pid!;
    const c = await connectClient(b.port);
    c.sock.write('PASS bench/net1:benchpass\r\nNICK bench\r\nUSER bench 0 * :bench\r\n');
    await waitFor(c.lines, (l) => / (376|422) /.test(l), 30000, 'client registration');
    c.sock.write('PING :barrier\r\n');
    await waitFor(c.lines, (l) => l.includes('PONG') && l.includes('barrier'), 30000, 'PONG barrier');
    const upSock = up.registered[0]!;

    let inCount = 0;
    c.lines((l) => {
      if (l.includes(' PRIVMSG ')) inCount++;
    });
    let outCount = 0;
    up.onPrivmsg = () => outCount++;

    const phase = async (dirName: 'in' | 'out', n: number) => {
      inCount = 0;
      outCount = 0;
      const cpu0 = cpuSeconds(pid);
      const secs =
        dirName === 'in'
          ? await flood((i) => `:peer!u@h PRIVMSG bench :${String(i).padStart(8, '0')} ${filler}\r\n`, n, upSock, () => inCount)
          : await flood((i) => `PRIVMSG peer :${String(i).padStart(8, '0')} ${filler}\r\n`, n, c.sock, () => outCount);
      return { secs, cpu: cpuSeconds(pid) - cpu0 };
    };
    if (opt.warmup) {
      await phase('in', opt.warmup);
      await phase('out', opt.warmup);
    }
    log(`network → client: ${opt.lines} lines…`);
    const pin = await phase('in', opt.lines);
    log(`client → network: ${opt.lines} lines…`);
    const pout = await phase('out', opt.lines);
    result.lines_in_per_s = Math.round(opt.lines / pin.secs);
    result.lines_out_per_s = Math.round(opt.lines / pout.secs);
    result.cpu_us_per_line_in = +((pin.cpu / opt.lines) * 1e6).toFixed(2);
    result.cpu_us_per_line_out = +((pout.cpu / opt.lines) * 1e6).toFixed(2);

    log(`latency: ${opt.latency} round trips…`);
    const samples: number[] = [];
    for (let k = 0; k < opt.latency; k++) {
      const t0 = process.hrtime.bigint();
      const back = new Promise<void>((resolve) => (up.onPrivmsg = () => resolve()));
      const got = waitFor(c.lines, (l) => l.includes(`:rt${k}`), 10000, 'latency line');
      upSock.write(`:peer!u@h PRIVMSG bench :rt${k}\r\n`);
      await got;
      c.sock.write(`PRIVMSG peer :rt${k}\r\n`);
      await back;
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    samples.sort((a, b) => a - b);
    result.latency_us_p50 = Math.round(samples[Math.floor(samples.length * 0.5)] ?? NaN);
    result.latency_us_p99 = Math.round(samples[Math.floor(samples.length * 0.99)] ?? NaN);
    result.rss_mb_after_flood = +(rssKb(pid) / 1024).toFixed(1);
    c.sock.destroy();
    bouncer.kill('SIGTERM');
    await once(bouncer, 'exit');
    up.close();

    if (opt.networks > 1) {
      log(`memory: 1 and ${opt.networks} idle networks, ${opt.memRuns} times…`);
      const idleRss = async (n: number) => {
        const upN = new FakeUpstream();
        const b2 = await startBouncer(dir, await upN.listen(), n);
        bouncer = b2.child;
        await upN.waitRegistered(n, 60000 + 2000 * n);
        const kb = await settledRss(b2.child.pid!, opt.verbose ? log : undefined);
        b2.child.kill('SIGTERM');
        await once(b2.child, 'exit');
        upN.close();
        return kb;
      };
      const per: number[] = [];
      const ones: number[] = [];
      const ms: number[] = [];
      for (let r = 0; r < opt.memRuns; r++) {
        const rss1 = await idleRss(1);
        const rssM = await idleRss(opt.networks);
        ones.push(rss1);
        ms.push(rssM);
        per.push((rssM - rss1) / (opt.networks - 1));
        log(`  run ${r + 1}: ${rss1} KB / ${rssM} KB → ${per[per.length - 1]!.toFixed(1)} KB per network`);
      }
      result.rss_mb_1 = +(median(ones) / 1024).toFixed(1);
      result.rss_mb_m = +(median(ms) / 1024).toFixed(1);
      result.rss_kb_per_network = +median(per).toFixed(1);
      result.rss_kb_per_network_min = +Math.min(...per).toFixed(1);
      result.rss_kb_per_network_max = +Math.max(...per).toFixed(1);
    }
  } finally {
    if (bouncer && bouncer.exitCode === null) bouncer.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  if (opt.json) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(22)} ${v}`);
}

main().catch((e) => {
  console.error(`bench:relay: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
