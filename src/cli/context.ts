// What every CLI command gets: output streams, the global flags, and the effective configuration
// (--config FILE, else <data_dir>/otrbnc.yml when an earlier run wrote one, else the embedded defaults).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config, NetworkConfig } from '../config/types.ts';
import { loadConfigFile } from '../config/load.ts';
import { defaultConfig, DEFAULT_DATA_DIR, DATA_DIR_CONFIG_NAME } from '../config/defaults.ts';
import { ConfigStore } from '../config/store.ts';
import type { GlobalFlags } from './args.ts';
import { VERSION } from '../util/version.ts';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface ResolvedConfig {
  config: Config;
  store: ConfigStore;
  /** Where it came from: the --config file, a config an earlier run wrote into the data dir, or defaults. */
  source: 'file' | 'data-dir' | 'defaults';
}


export class CliContext {
  constructor(readonly flags: GlobalFlags, readonly io: CliIo, readonly version: string = VERSION) {}

  out(line: string): void {
    this.io.stdout.write(line + '\n');
  }

  err(line: string): void {
    this.io.stderr.write(line + '\n');
  }

  /**
   * The network `user`/`network` of the effective configuration, with its module storage directory
   * (`<data_dir>/users/<user>/networks/<network>/<module>`, as src/modules/host.ts lays it out).
   * Throws an Error with a message for the user when either does not exist.
   */
  findNetwork(user: string, network: string, module?: string): { config: Config; network: NetworkConfig; storageDir?: string } {
    const { config } = this.resolveConfig();
    const u = config.users.find((x) => x.name === user);
    if (!u) throw new Error(`no user ${JSON.stringify(user)} in ${config.file ?? 'the configuration'} (users: ${config.users.map((x) => x.name).join(', ') || 'none'})`);
    const n = u.networks.find((x) => x.name === network);
    if (!n) throw new Error(`user ${user} has no network ${JSON.stringify(network)} (networks: ${u.networks.map((x) => x.name).join(', ') || 'none'})`);
    const storageDir = module === undefined ? undefined : join(config.dataDir, 'users', user, 'networks', network, module);
    return { config, network: n, storageDir };
  }

  /** Loads the effective configuration; throws ConfigError (with file, line and key) when it is wrong. */
  resolveConfig(): ResolvedConfig {
    const r = this.resolveConfigFiles();
    // --listen changes this run only; the store writes back what the files (or defaults) say.
    if (this.flags.listen) r.config.listen = [{ ...this.flags.listen, tls: false }];
    return r;
  }

  private resolveConfigFiles(): ResolvedConfig {
    if (this.flags.config !== undefined) {
      const loaded = loadConfigFile(this.flags.config, { dataDirOverride: this.flags.dataDir });
      return { config: loaded.config, store: ConfigStore.forFile(loaded.config.file!, loaded.text), source: 'file' };
    }
    const dataDir = resolve(this.flags.dataDir ?? DEFAULT_DATA_DIR);
    const written = join(dataDir, DATA_DIR_CONFIG_NAME);
    if (existsSync(written)) {
      const loaded = loadConfigFile(written, { dataDirOverride: dataDir });
      return { config: loaded.config, store: ConfigStore.forFile(written, loaded.text), source: 'data-dir' };
    }
    const config = defaultConfig();
    config.dataDir = dataDir;
    // The store seeds a new data-dir config from its own copy, so a --listen override is not written.
    return { config, store: ConfigStore.forDataDir(structuredClone(config)), source: 'defaults' };
  }
}
