// Config → YAML with the fixed snake_case key names (the inverse of load.ts), for new config files.
import { stringify } from 'yaml';
import type { Config, NetworkConfig, UserConfig, ListenConfig } from './types.ts';

export function listenToYaml(l: ListenConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { host: l.host, port: l.port, tls: l.tls };
  if (l.cert !== undefined) o.cert = l.cert;
  if (l.key !== undefined) o.key = l.key;
  return o;
}

export function networkToYaml(n: NetworkConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { host: n.host, port: n.port, tls: n.tls, tls_verify: n.tlsVerify, nick: n.nick };
  if (n.altNick !== undefined) o.alt_nick = n.altNick;
  if (n.username !== undefined) o.username = n.username;
  if (n.realname !== undefined) o.realname = n.realname;
  if (n.serverPassword != null) o.server_password = n.serverPassword;
  if (n.sasl != null) o.sasl = { account: n.sasl.account, password: n.sasl.password };
  o.channels = [...n.channels];
  o.modules = [...n.modules];
  o.flood = { rate: n.flood.rate, burst: n.flood.burst };
  o.playback_lines = n.playbackLines;
  return o;
}

export function userToYaml(u: UserConfig): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const n of u.networks) networks[n.name] = networkToYaml(n);
  return { password: u.password, networks };
}

export function configToPlain(c: Config): Record<string, unknown> {
  const users: Record<string, unknown> = {};
  for (const u of c.users) users[u.name] = userToYaml(u);
  return { listen: c.listen.map(listenToYaml), data_dir: c.dataDir, log_level: c.logLevel, users };
}

export function configToYaml(c: Config): string {
  return stringify(configToPlain(c));
}
