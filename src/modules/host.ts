// The module host of one network: loads modules/<name>/index.ts (or a module directory given to the
// bouncer), gives each a ModuleContext, runs hooks in load order, and answers as the virtual nick *name.
import { mkdir, chmod, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { helpTable } from '../bouncer/table.ts';
import type {
  ClientMessage, HookResult, MessageEvent, ModuleCommand, ModuleContext, ModuleDefinition, NetworkModule,
  NickChangeEvent, PeerQuitEvent,
} from './api.ts';
import type { Network } from '../bouncer/network.ts';

export const BUILTIN_MODULE_DIR = resolve(fileURLToPath(new URL('../../modules', import.meta.url)));
const NAME_RE = /^[a-z0-9_-]{1,32}$/;
const SHUTDOWN_LIMIT_MS = 5000;

interface Loaded {
  name: string;
  def: ModuleDefinition;
  instance: NetworkModule;
  ctx: ModuleContext;
  commands: Map<string, ModuleCommand>;
}

export async function findModule(name: string, dirs: string[]): Promise<string | undefined> {
  // index.js too: a compiled build (tsc to dist/) runs without tsx.
  for (const d of dirs) {
    for (const f of ['index.ts', 'index.js']) {
      const p = join(d, name, f);
      try {
        await access(p);
        return p;
      } catch {
        // next candidate
      }
    }
  }
  return undefined;
}

export class ModuleHost {
  private mods: Loaded[] = [];
  hasIncoming = false;
  hasOutgoing = false;

  constructor(private readonly net: Network) {}

  get names(): string[] {
    return this.mods.map((m) => m.name);
  }

  get(virtualNick: string): Loaded | undefined {
    const k = virtualNick.toLowerCase();
    return this.mods.find((m) => '*' + m.name === k);
  }

  description(name: string): string {
    return this.mods.find((m) => m.name === name)?.def.description ?? '';
  }

  private refresh(): void {
    this.hasIncoming = this.mods.some((m) => m.instance.onIncomingMessage);
    this.hasOutgoing = this.mods.some((m) => m.instance.onOutgoingMessage);
  }

  /** Loads a module; returns an error text, or undefined on success. */
  async load(name: string): Promise<string | undefined> {
    name = name.toLowerCase();
    if (!NAME_RE.test(name)) return `invalid module name "${name}"`;
    if (name === 'status') return 'the name "status" is reserved';
    if (this.mods.some((m) => m.name === name)) return `module ${name} is already loaded`;
    const net = this.net;
    const bouncer = net.user.bouncer;
    const file = await findModule(name, bouncer.moduleDirs);
    if (!file) return `no module named ${name}`;
    let def: ModuleDefinition;
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: ModuleDefinition };
      if (!mod.default || typeof mod.default.create !== 'function') return `${file} has no default ModuleDefinition export`;
      def = mod.default;
    } catch (e) {
      return `cannot load ${name}: ${(e as Error).message}`;
    }
    const storageDir = join(bouncer.dataDir, 'users', net.user.name, 'networks', net.name, name);
    await mkdir(storageDir, { recursive: true, mode: 0o700 });
    await chmod(storageDir, 0o700);
    for (const d of [bouncer.dataDir, join(bouncer.dataDir, 'users'), join(bouncer.dataDir, 'users', net.user.name)]) {
      await chmod(d, 0o700).catch(() => {});
    }
    const commands = new Map<string, ModuleCommand>();
    const virtualNick = '*' + name;
    const logger = bouncer.logger.child({ user: net.user.name, network: net.name, module: name });
    const ctx: ModuleContext = {
      userName: net.user.name,
      networkName: net.name,
      virtualNick,
      storageDir,
      logger,
      writeFileAtomic: (file, data) => {
        if (file.includes('/') || file.includes('\\') || file === '..' || file === '.') {
          return Promise.reject(new Error(`invalid file name ${file}`));
        }
        return writeFileAtomic(join(storageDir, file), data, 0o600);
      },
      ownNick: () => net.nick,
      ownPrefix: () => net.ownPrefix(),
      isConnected: () => net.connected,
      clientCount: () => net.clients.length,
      casemapping: () => net.isupport.casemapping,
      isChannel: (n) => net.isupport.isChannel(n),
      registerCommand: (cmd) => {
        commands.set(cmd.name.toLowerCase(), cmd);
      },
      reply: (text) => net.virtualReply(virtualNick, text),
      sendToNetwork: (kind, target, text) => net.sendFromModule(kind, target, text),
      deliverToClients: (msg: ClientMessage) => net.deliverFromModule(msg),
    };
    let instance: NetworkModule;
    try {
      instance = await def.create(ctx);
    } catch (e) {
      return `module ${name} failed to start: ${(e as Error).message}`;
    }
    this.mods = [...this.mods, { name, def, instance, ctx, commands }];
    this.refresh();
    logger.info('module loaded');
    if (net.connected) this.safe(instance, 'onConnected', () => instance.onConnected?.());
    if (net.clients.length > 0) this.safe(instance, 'onClientAttach', () => instance.onClientAttach?.());
    return undefined;
  }

  async unload(name: string): Promise<string | undefined> {
    const m = this.mods.find((x) => x.name === name.toLowerCase());
    if (!m) return `module ${name} is not loaded`;
    this.mods = this.mods.filter((x) => x !== m);
    this.refresh();
    await this.bounded(m, 'onUnload', () => m.instance.onUnload?.());
    m.ctx.logger.info('module unloaded');
    return undefined;
  }

  async unloadAll(): Promise<void> {
    for (const m of [...this.mods].reverse()) await this.unload(m.name);
  }

  private safe(m: NetworkModule | Loaded, hook: string, fn: () => unknown): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).catch === 'function') {
        (r as Promise<unknown>).catch((e: Error) => this.hookError(hook, e));
      }
    } catch (e) {
      this.hookError(hook, e as Error);
    }
    void m;
  }

  private hookError(hook: string, e: Error): void {
    this.net.logger.error({ user: this.net.user.name, network: this.net.name, hook, err: e.message }, 'module hook failed');
  }

  private async bounded(m: Loaded, hook: string, fn: () => unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((res) => {
          timer = setTimeout(() => {
            m.ctx.logger.warn(`${hook} took longer than ${SHUTDOWN_LIMIT_MS} ms; going on`);
            res(undefined);
          }, SHUTDOWN_LIMIT_MS);
        }),
      ]);
    } catch (e) {
      this.hookError(hook, e as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  private runMessage(ev: MessageEvent, hook: 'onIncomingMessage' | 'onOutgoingMessage'): HookResult {
    for (const m of this.mods) {
      const f = m.instance[hook];
      if (!f) continue;
      let r: HookResult = 'continue';
      try {
        r = f.call(m.instance, ev);
      } catch (e) {
        this.hookError(hook, e as Error);
      }
      if (r === 'halt' || r === 'handled') return r;
    }
    return 'continue';
  }

  incoming(ev: MessageEvent): HookResult {
    return this.runMessage(ev, 'onIncomingMessage');
  }

  outgoing(ev: MessageEvent): HookResult {
    return this.runMessage(ev, 'onOutgoingMessage');
  }

  peerQuit(ev: PeerQuitEvent): void {
    for (const m of this.mods) this.safe(m, 'onPeerQuit', () => m.instance.onPeerQuit?.(ev));
  }
  nickChange(ev: NickChangeEvent): void {
    for (const m of this.mods) this.safe(m, 'onNickChange', () => m.instance.onNickChange?.(ev));
  }
  attach(): void {
    for (const m of this.mods) this.safe(m, 'onClientAttach', () => m.instance.onClientAttach?.());
  }
  detach(): void {
    for (const m of this.mods) this.safe(m, 'onClientDetach', () => m.instance.onClientDetach?.());
  }
  connected(): void {
    for (const m of this.mods) this.safe(m, 'onConnected', () => m.instance.onConnected?.());
  }
  disconnected(): void {
    for (const m of this.mods) this.safe(m, 'onDisconnected', () => m.instance.onDisconnected?.());
  }

  /** Every module's onShutdown, awaited in parallel, each bounded. */
  async shutdown(): Promise<void> {
    await Promise.all(this.mods.map((m) => this.bounded(m, 'onShutdown', () => m.instance.onShutdown?.())));
  }

  /** A PRIVMSG from a client to *name. Returns false when no module answers to that nick. */
  command(virtualNick: string, text: string): boolean {
    const m = this.get(virtualNick);
    if (!m) return false;
    const trimmed = text.replace(/^\s+/, '');
    const sp = trimmed.search(/\s/);
    const name = (sp < 0 ? trimmed : trimmed.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : trimmed.slice(sp).replace(/^\s+/, '');
    const cmd = m.commands.get(name);
    if (!cmd) {
      if (name === 'help' || name === '') {
        const rows = [...m.commands.values()].map((c) => [c.name, c.args, c.help]);
        rows.unshift(['help', '[filter]', 'This list of commands, or those matching the filter']);
        m.ctx.reply(helpTable(rows, rest.split(/\s+/)[0]));
      } else {
        m.ctx.reply(`Unknown command "${name}". Try: help`);
      }
      return true;
    }
    try {
      const r = cmd.run(rest);
      if (r && typeof r.catch === 'function') {
        r.catch((e: Error) => {
          m.ctx.logger.error({ err: e.message, command: name }, 'module command failed');
          m.ctx.reply(`Error in ${name}: ${e.message}`);
        });
      }
    } catch (e) {
      m.ctx.logger.error({ err: (e as Error).message, command: name }, 'module command failed');
      m.ctx.reply(`Error in ${name}: ${(e as Error).message}`);
    }
    return true;
  }
}
