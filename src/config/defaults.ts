// The embedded defaults: what otrbnc runs on without a config file, and what fills in omitted keys.
import type { Config, FloodConfig } from './types.ts';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';
export const DEFAULT_LISTEN_PORT = 6697;
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_LOG_LEVEL: Config['logLevel'] = 'info';
/** Name of the config file written into the data dir when started without --config. */
export const DATA_DIR_CONFIG_NAME = 'otrbnc.yml';

export const DEFAULT_NETWORK_TLS = true;
export const DEFAULT_TLS_PORT = 6697;
export const DEFAULT_PLAIN_PORT = 6667;
export const DEFAULT_FLOOD: Readonly<FloodConfig> = { rate: 2, burst: 5 };
export const DEFAULT_PLAYBACK_LINES = 500;

export const LOG_LEVELS: readonly Config['logLevel'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function defaultConfig(): Config {
  return {
    listen: [{ host: DEFAULT_LISTEN_HOST, port: DEFAULT_LISTEN_PORT, tls: false }],
    dataDir: DEFAULT_DATA_DIR,
    logLevel: DEFAULT_LOG_LEVEL,
    users: [],
  };
}
