// A user: their networks and the clients logged in as them.
import type { NetworkConfig, UserConfig } from '../config/types.ts';
import { Network } from './network.ts';
import type { Downstream } from './downstream.ts';
import type { Bouncer } from './index.ts';

export class User {
  readonly bouncer: Bouncer;
  readonly cfg: UserConfig;
  readonly networks = new Map<string, Network>();
  /** Every client logged in as this user, attached to a network or not. */
  readonly clients = new Set<Downstream>();

  constructor(bouncer: Bouncer, cfg: UserConfig) {
    this.bouncer = bouncer;
    this.cfg = cfg;
    for (const n of cfg.networks) this.networks.set(n.name, new Network(this, n));
  }

  get name(): string {
    return this.cfg.name;
  }

  /** Adds a network to the running user (the config entry is the caller's business). */
  addNetwork(cfg: NetworkConfig): Network {
    const net = new Network(this, cfg);
    this.networks.set(cfg.name, net);
    return net;
  }

  clientJoined(d: Downstream): void {
    this.clients.add(d);
  }

  clientGone(d: Downstream): void {
    this.clients.delete(d);
  }
}
