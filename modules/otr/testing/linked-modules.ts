// Two OTR module instances (real engine, real files in a temp directory) joined by an in-memory
// "network" that carries their PRIVMSGs asynchronously, with a ModuleContext that records what
// each side's clients would see. For fast tests of the glue; end-to-end tests use the real
// bouncer, ngircd and libotr (test/otr-module/).
import { EventEmitter } from 'node:events';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { writeFileAtomic } from '../../../src/util/atomic-write.ts';
import type { Casemapping, ClientMessage, MessageEvent, ModuleCommand, ModuleContext } from '../../../src/modules/api.ts';
import { OtrAccount } from '../../../src/otr/index.ts';
import type { DsaPrivateKey } from '../../../src/otr/dsa.ts';
import { generateDsaKey } from '../../../src/otr/keygen.ts';
import { createOtrModule, type OtrGlue } from '../otr-module.ts';
import { FileStore } from '../file-store.ts';

export const rfc1459: Casemapping = {
  lower: (s) => s.replace(/[A-Z[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c] ?? c.toLowerCase()),
  equal: (a, b) => rfc1459.lower(a) === rfc1459.lower(b),
};

export interface WireLine {
  from: string;
  to: string;
  kind: 'privmsg' | 'notice' | 'action';
  text: string;
}

export class Side {
  nick: string;
  glue!: OtrGlue;
  ctx!: ModuleContext;
  readonly replies: string[] = [];
  readonly seen: ClientMessage[] = [];
  readonly commands = new Map<string, ModuleCommand>();
  peer!: Side;
  online = true;

  constructor(readonly world: World, nick: string, readonly storageDir: string) {
    this.nick = nick;
  }

  /** The user's client sends a message (through the outgoing hook, as the core would). */
  say(target: string, text: string, kind: 'privmsg' | 'action' | 'notice' = 'privmsg'): void {
    const ev: MessageEvent = {
      kind, target, nick: this.nick, ident: this.nick, hostname: 'host', text, tags: {}, time: Date.now(), isChannel: target.startsWith('#'),
    };
    if (this.glue.onOutgoingMessage(ev) === 'continue') this.world.carry(this, ev.target, ev.kind, ev.text);
  }

  /** `/msg *otr <line>` */
  cmd(line: string): void {
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(line)!;
    const c = this.commands.get(m[1]!.toLowerCase());
    if (!c) throw new Error(`no command ${m[1]}`);
    void c.run(m[2]!);
  }

  receive(from: Side, kind: 'privmsg' | 'notice' | 'action', text: string): void {
    const ev: MessageEvent = {
      kind, target: this.nick, nick: from.nick, ident: from.nick, hostname: 'host', text, tags: {}, time: Date.now(), isChannel: false,
    };
    if (this.glue.onIncomingMessage(ev) === 'continue') this.push({ kind: ev.kind, nick: ev.nick, ident: ev.ident, hostname: ev.hostname, target: ev.target, text: ev.text });
  }

  push(m: ClientMessage): void {
    this.seen.push(m);
    this.world.emit('change');
  }

  /** Replies since `from` (an index into replies). */
  repliesFrom(from: number): string[] {
    return this.replies.slice(from);
  }
}

type Carried = [from: Side, target: string, kind: 'privmsg' | 'notice' | 'action', text: string];

export class World extends EventEmitter {
  readonly wire: WireLine[] = [];
  dir = '';
  sides: Side[] = [];
  private diversion: ((from: Side, text: string) => 'carry' | 'hold' | 'drop') | undefined;
  private readonly held: Carried[] = [];

  /**
   * Lines the rule calls 'drop' are lost in transit, 'hold' ones wait for release(); neither is in `wire`
   * until it is carried.
   */
  divert(rule: (from: Side, text: string) => 'carry' | 'hold' | 'drop'): void {
    this.diversion = rule;
  }

  /** Ends divert() and carries the held lines, in order. */
  release(): void {
    this.diversion = undefined;
    for (const line of this.held.splice(0)) this.carry(...line);
  }

  carry(...line: Carried): void {
    const [from, target, kind, text] = line;
    const fate = this.diversion?.(from, text) ?? 'carry';
    if (fate === 'drop') return;
    if (fate === 'hold') {
      this.held.push(line);
      return;
    }
    this.wire.push({ from: from.nick, to: target, kind, text });
    const to = this.sides.find((s) => rfc1459.equal(s.nick, target) && s.online);
    if (to) setImmediate(() => to.receive(from, kind, text));
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (pred()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('change', check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.off('change', check);
        resolve();
      };
      this.on('change', check);
    });
  }

  /** Wait until `side` got a reply matching `re` at or after index `from`. */
  async reply(side: Side, re: RegExp, from = 0): Promise<string> {
    let found: string | undefined;
    await this.waitFor(() => (found = side.replies.slice(from).find((r) => re.test(r))) !== undefined, `${side.nick} reply ${re}`);
    return found!;
  }

  async seen(side: Side, pred: (m: ClientMessage) => boolean, what: string): Promise<ClientMessage> {
    let found: ClientMessage | undefined;
    await this.waitFor(() => (found = side.seen.find(pred)) !== undefined, `${side.nick} sees ${what}`);
    return found!;
  }

  async close(): Promise<void> {
    for (const s of this.sides) await s.glue.onUnload();
    await rm(this.dir, { recursive: true, force: true });
  }
}

const silent = pino({ level: 'silent' });

export async function makeSide(world: World, nick: string, user: string, opts: { key?: DsaPrivateKey; startTimeoutMs?: number; startRetryMs?: number } = {}): Promise<Side> {
  const storageDir = join(world.dir, user);
  await mkdir(storageDir, { recursive: true, mode: 0o700 });
  const side = new Side(world, nick, storageDir);
  const ctx: ModuleContext = {
    userName: user,
    networkName: 'net',
    virtualNick: '*otr',
    storageDir,
    logger: silent,
    writeFileAtomic: (name, data) => writeFileAtomic(join(storageDir, name), data, 0o600),
    ownNick: () => side.nick,
    ownPrefix: () => ({ nick: side.nick, ident: side.nick, hostname: 'host' }),
    isConnected: () => true,
    clientCount: () => 1,
    casemapping: () => rfc1459,
    isChannel: (n) => n.startsWith('#'),
    registerCommand: (c) => side.commands.set(c.name, c),
    reply: (text) => {
      for (const l of text.split('\n')) side.replies.push(l);
      world.emit('change');
    },
    sendToNetwork: (kind, target, text) => world.carry(side, target, kind, text),
    deliverToClients: (m) => side.push(m),
  };
  side.ctx = ctx;
  const store = new FileStore(storageDir, user, (name, data) => ctx.writeFileAtomic(name, data));
  if (opts.key) await store.saveKey(opts.key);
  side.glue = await createOtrModule(ctx, {
    createAccount: (o) => new OtrAccount(o),
    store,
    generateKey: generateDsaKey,
    startTimeoutMs: opts.startTimeoutMs,
    startRetryMs: opts.startRetryMs,
  });
  world.sides.push(side);
  return side;
}

export async function makeWorld(): Promise<World> {
  const w = new World();
  w.dir = await mkdtemp(join(tmpdir(), 'otr-glue-'));
  return w;
}

/** alice and bob on one world; `aliceOpts`: alice's module timings. */
export async function pair(
  keys: { alice?: DsaPrivateKey; bob?: DsaPrivateKey } = {},
  aliceOpts: { startTimeoutMs?: number; startRetryMs?: number } = {},
): Promise<{ world: World; alice: Side; bob: Side }> {
  const world = await makeWorld();
  const alice = await makeSide(world, 'alice', 'alice', { key: keys.alice, ...aliceOpts });
  const bob = await makeSide(world, 'bob', 'bob', { key: keys.bob });
  alice.peer = bob;
  bob.peer = alice;
  return { world, alice, bob };
}

export { generateDsaKey };
