// A python-potr account (potr-peer.py under Debian's /usr/bin/python3, package python3-potr), one peer,
// wired to one of our OtrSessions: the test hands lines across with pump().
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { OtrEvent } from '../../src/otr/api.ts';
import type { OtrSession } from '../../src/otr/session.ts';

const SCRIPT = fileURLToPath(new URL('./potr-peer.py', import.meta.url));
/** Debian's interpreter: its dist-packages hold python3-potr (a pyenv or venv python3 first in PATH would not). */
const PYTHON = '/usr/bin/python3';

export interface PotrEvent {
  ev: string;
  text?: string | null;
  encrypted?: boolean;
  tlvs?: string[];
  line?: string;
  [k: string]: unknown;
}

export interface PotrStatus {
  /** potr's context state: 0 plaintext, 1 encrypted, 2 finished. */
  state: number;
  smpState: number | null;
  /** The trust potr keeps for our fingerprint ('smp' after an SMP success; null before an AKE). */
  trust: string | null;
  fingerprint: string;
  theirFingerprint: string | null;
}

export class PotrPeer {
  /** Events other than wire lines and status, in arrival order. */
  readonly events: PotrEvent[] = [];
  status!: PotrStatus;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor() {
    this.proc = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  /** A potr account `name` whose peer is `peer`; mms: potr's maximum message size (0: no fragments). */
  static async start(name: string, peer: string, mms: number): Promise<PotrPeer> {
    const p = new PotrPeer();
    await p.command({ op: 'init', name, peer, mms });
    return p;
  }

  /** Runs one command; returns the wire lines potr sends to its peer. */
  async command(cmd: Record<string, unknown>): Promise<string[]> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const wire: string[] = [];
    for (;;) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error(`potr-peer.py exited (is python3-potr installed? see .ci/run)\n${this.stderr}`);
      const e = JSON.parse(value) as PotrEvent;
      if (e.ev === 'done') return wire;
      if (e.ev === 'exception') throw new Error(`potr: ${e.text}`);
      if (e.ev === 'out') wire.push(e.line!);
      else if (e.ev === 'status') this.status = e as unknown as PotrStatus;
      else this.events.push(e);
    }
  }

  /** The last message potr received. */
  lastMessage(): PotrEvent | undefined {
    return this.events.filter((e) => e.ev === 'msg').at(-1);
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** One of our sessions and a potr peer, and the lines between them. */
export class PotrBridge {
  readonly toPotr: string[] = [];
  readonly ours: OtrEvent[] = [];
  readonly received: { text: string; encrypted: boolean }[] = [];
  session!: OtrSession;

  constructor(readonly potr: PotrPeer) {}

  /** Delivers lines both ways until neither side has anything to send. */
  async pump(fromPotr: string[] = []): Promise<void> {
    let inbound = fromPotr;
    for (let round = 0; inbound.length > 0 || this.toPotr.length > 0; round++) {
      if (round > 100) throw new Error('the two sides do not settle');
      for (const line of inbound) {
        const r = this.session.receive(line);
        if (r.kind === 'message') this.received.push({ text: r.text, encrypted: r.encrypted });
      }
      inbound = [];
      for (const line of this.toPotr.splice(0)) inbound.push(...(await this.potr.command({ op: 'recv', line })));
    }
  }

  /** A potr command, then pump() with what it sent. */
  async potrDoes(cmd: Record<string, unknown>): Promise<void> {
    await this.pump(await this.potr.command(cmd));
  }

  smpEvents(): string[] {
    return this.ours.filter((e) => e.type.startsWith('smp_')).map((e) => e.type);
  }
}
