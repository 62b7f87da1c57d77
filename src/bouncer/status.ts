// The *status virtual nick: the bouncer's own commands. `help` is generated from this table.
import { readdir } from 'node:fs/promises';
import type { NetworkConfig } from '../config/types.ts';
import { DEFAULT_FLOOD, DEFAULT_PLAYBACK_LINES } from '../config/defaults.ts';
import { table, helpTable } from './table.ts';
import { isValidName, NAME_RULE } from '../config/names.ts';
import type { Downstream } from './downstream.ts';
import type { Network } from './network.ts';
import type { Bouncer } from './index.ts';

interface StatusCommand {
  name: string;
  args: string;
  help: string;
  run(c: StatusCall): void | Promise<void>;
}

export interface StatusCall {
  bouncer: Bouncer;
  client: Downstream;
  net: Network | null;
  args: string[];
  reply(text: string): void;
}


function pickNetwork(c: StatusCall): Network | null {
  const name = c.args[0];
  if (name === undefined) {
    if (!c.net) c.reply('You are not attached to a network; name one.');
    return c.net;
  }
  const net = c.client.user!.networks.get(name) ?? null;
  if (!net) c.reply(`No network named ${name}. See: listnetworks`);
  return net;
}

function needNetwork(c: StatusCall): Network | null {
  if (!c.net) c.reply('You are not attached to a network. Log in as user/network to use this.');
  return c.net;
}

function duration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${d}d ${h}h ${m}m ${s}s`;
}

export const STATUS_COMMANDS: StatusCommand[] = [
  { name: 'help', args: '[filter]', help: 'This list of commands, or those matching the filter', run: (c) => c.reply(helpTable(STATUS_COMMANDS.map((x) => [x.name, x.args, x.help]), c.args[0])) },
  {
    name: 'listnetworks',
    args: '',
    help: 'Your networks, their state and clients',
    run: (c) => {
      const nets = [...c.client.user!.networks.values()];
      if (nets.length === 0) {
        c.reply('You have no networks. Add one: addnetwork <name> <host> [+]<port> [nick]');
        return;
      }
      c.reply(table(['Network', 'Server', 'State', 'Nick', 'Clients'], nets.map((n) => [
        n.name,
        `${n.cfg.host} ${n.cfg.tls ? '+' : ''}${n.cfg.port}`,
        n.connected ? 'connected' : n.upstream.wanted ? 'connecting' : 'disconnected',
        n.nick,
        String(n.clients.length),
      ])));
    },
  },
  {
    name: 'addnetwork',
    args: '<name> <host> [+]<port> [nick]',
    help: 'Add a network and connect to it (+ before the port: TLS)',
    run: async (c) => {
      const [name, host, portArg, nick] = c.args;
      if (!name || !host || !portArg) {
        c.reply('Usage: addnetwork <name> <host> [+]<port> [nick]');
        return;
      }
      if (!isValidName(name)) {
        c.reply(`A network name is ${NAME_RULE}.`);
        return;
      }
      const user = c.client.user!;
      if (user.networks.has(name)) {
        c.reply(`You already have a network named ${name}.`);
        return;
      }
      const tls = portArg.startsWith('+');
      const port = Number(tls ? portArg.slice(1) : portArg);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        c.reply(`Not a port: ${portArg}. Usage: addnetwork <name> <host> [+]<port> [nick]`);
        return;
      }
      if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
        c.reply(`Not a host name: ${host}`);
        return;
      }
      const n = nick ?? (c.client.nick !== '*' ? c.client.nick : user.name);
      const cfg: NetworkConfig = {
        name, host, port, tls, tlsVerify: true, nick: n, altNick: n + '_', username: user.name, realname: user.name,
        serverPassword: null, sasl: null, channels: [], modules: [], flood: { ...DEFAULT_FLOOD }, playbackLines: DEFAULT_PLAYBACK_LINES,
      };
      user.cfg.networks.push(cfg);
      const net = user.addNetwork(cfg);
      const saved = await c.bouncer.persist((s) => s.addNetwork(user.name, cfg));
      c.reply(`Network ${name} added${saved}. Connecting to ${host} ${tls ? '+' : ''}${port}. Log in as ${user.name}/${name} to use it.`);
      net.upstream.connect();
    },
  },
  {
    name: 'delnetwork',
    args: '<name>',
    help: 'Disconnect and remove a network',
    run: async (c) => {
      const name = c.args[0];
      if (!name) {
        c.reply('Usage: delnetwork <name>');
        return;
      }
      const user = c.client.user!;
      const net = user.networks.get(name);
      if (!net) {
        c.reply(`No network named ${name}. See: listnetworks`);
        return;
      }
      user.networks.delete(name);
      user.cfg.networks = user.cfg.networks.filter((n) => n.name !== name);
      for (const d of [...net.clients]) {
        net.detach(d);
        d.network = null;
        d.status(`Network ${name} was deleted; you are no longer attached to a network.`);
      }
      await net.shutdown('Network removed');
      const saved = await c.bouncer.persist((s) => s.deleteNetwork(user.name, name));
      c.reply(`Network ${name} deleted${saved}.`);
    },
  },
  {
    name: 'connect',
    args: '[network]',
    help: 'Connect a network (default: this one)',
    run: (c) => {
      const net = pickNetwork(c);
      if (!net) return;
      if (net.connected) {
        c.reply(`${net.name} is already connected.`);
        return;
      }
      net.upstream.connect();
      c.reply(`Connecting ${net.name}…`);
    },
  },
  {
    name: 'disconnect',
    args: '[network]',
    help: 'Disconnect a network and stay disconnected (default: this one)',
    run: async (c) => {
      const net = pickNetwork(c);
      if (!net) return;
      if (net.upstream.state === 'idle' && !net.upstream.wanted) {
        c.reply(`${net.name} is not connected.`);
        return;
      }
      if (net.modules) await net.modules.shutdown();
      await net.upstream.quit('Disconnected by user');
      c.reply(`Disconnected ${net.name}.`);
    },
  },
  {
    name: 'jump',
    args: '',
    help: 'Reconnect this network to its server now',
    run: async (c) => {
      const net = needNetwork(c);
      if (!net) return;
      c.reply(`Jumping to ${net.cfg.host} ${net.cfg.tls ? '+' : ''}${net.cfg.port}…`);
      await net.upstream.quit('Jumping servers', true);
    },
  },
  {
    name: 'listclients',
    args: '',
    help: 'Clients logged in as you',
    run: (c) => {
      const rows = [...c.client.user!.clients].map((d) => [
        d === c.client ? `${d.id} (you)` : String(d.id),
        d.network?.name ?? '-',
        d.address,
        d.nick,
        d.capNames.join(' ') || '-',
      ]);
      c.reply(table(['Id', 'Network', 'Address', 'Nick', 'Capabilities'], rows));
    },
  },
  {
    name: 'listmods',
    args: '',
    help: 'Modules loaded on this network, and those available',
    run: async (c) => {
      const loaded = c.net?.modules?.names ?? [];
      const avail = new Set<string>();
      for (const d of c.bouncer.moduleDirs) {
        try {
          for (const e of await readdir(d, { withFileTypes: true })) if (e.isDirectory()) avail.add(e.name);
        } catch {
          // missing directory
        }
      }
      const rows = [...avail].sort().map((m) => [m, loaded.includes(m) ? 'loaded' : '', c.net?.modules?.description(m) ?? '']);
      if (rows.length === 0) {
        c.reply('No modules are available.');
        return;
      }
      c.reply(table(['Module', 'State', 'Description'], rows));
    },
  },
  {
    name: 'loadmod',
    args: '<module>',
    help: 'Load a module on this network',
    run: async (c) => {
      const net = needNetwork(c);
      if (!net) return;
      const name = c.args[0]?.toLowerCase();
      if (!name) {
        c.reply('Usage: loadmod <module>');
        return;
      }
      const err = await net.moduleHost().load(name);
      if (err) {
        c.reply(`Cannot load ${name}: ${err}`);
        return;
      }
      if (!net.cfg.modules.includes(name)) net.cfg.modules.push(name);
      const saved = await c.bouncer.persist((s) => s.setNetworkModules(net.user.name, net.name, [...net.cfg.modules]));
      c.reply(`Loaded module ${name} on ${net.name}${saved}. Talk to it as *${name}.`);
    },
  },
  {
    name: 'unloadmod',
    args: '<module>',
    help: 'Unload a module from this network',
    run: async (c) => {
      const net = needNetwork(c);
      if (!net) return;
      const name = c.args[0]?.toLowerCase();
      if (!name) {
        c.reply('Usage: unloadmod <module>');
        return;
      }
      const err = net.modules ? await net.modules.unload(name) : `module ${name} is not loaded`;
      if (err) {
        c.reply(`Cannot unload ${name}: ${err}`);
        return;
      }
      net.cfg.modules = net.cfg.modules.filter((m) => m !== name);
      const saved = await c.bouncer.persist((s) => s.setNetworkModules(net.user.name, net.name, [...net.cfg.modules]));
      c.reply(`Unloaded module ${name} from ${net.name}${saved}.`);
    },
  },
  { name: 'version', args: '', help: 'The bouncer version', run: (c) => c.reply(`otrbnc ${c.bouncer.version} on Node.js ${process.version}`) },
  { name: 'uptime', args: '', help: 'How long the bouncer has been running', run: (c) => c.reply(`Up ${duration(Date.now() - c.bouncer.startedAt)}`) },
];

export async function runStatus(bouncer: Bouncer, client: Downstream, net: Network | null, text: string): Promise<void> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const name = (words.shift() ?? 'help').toLowerCase();
  const reply = (t: string) => {
    for (const line of t.split('\n')) client.status(line);
  };
  const cmd = STATUS_COMMANDS.find((x) => x.name === name);
  if (!cmd) {
    reply(`Unknown command "${name}". Try: help`);
    return;
  }
  try {
    await cmd.run({ bouncer, client, net, args: words, reply });
  } catch (e) {
    bouncer.logger.error({ command: name, err: (e as Error).message }, '*status command failed');
    reply(`${name} failed: ${(e as Error).message}`);
  }
}
