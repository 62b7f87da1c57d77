// The validated, typed form of the YAML config (config.example.yml documents every key).
// Key names in YAML are fixed by outside tools; these types mirror them in camelCase.

export interface ListenConfig {
  host: string;
  port: number;
  tls: boolean;
  /** Paths, required when tls is true. */
  cert?: string;
  key?: string;
}

export interface SaslConfig {
  account: string;
  password: string;
}

export interface FloodConfig {
  /** Outgoing lines per second after the burst; 0 turns the limit off. */
  rate: number;
  burst: number;
}

export interface NetworkConfig {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  tlsVerify: boolean;
  nick: string;
  altNick?: string;
  username?: string;
  realname?: string;
  serverPassword?: string | null;
  sasl?: SaslConfig | null;
  channels: string[];
  modules: string[];
  flood: FloodConfig;
  /** Playback ring buffer size in lines (per network). */
  playbackLines: number;
}

export interface UserConfig {
  name: string;
  /** `scrypt$…` stored form, or plain text (accepted with a warning). */
  password: string;
  networks: NetworkConfig[];
}

export interface Config {
  /** Absolute path of the file this came from; undefined for the embedded defaults. */
  file?: string;
  listen: ListenConfig[];
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  users: UserConfig[];
}
