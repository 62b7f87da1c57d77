// Starts the bouncer in-process for the integration tests, with test-friendly options the harness's
// startTestBouncer does not pass (extra module directory, short delays).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, UserConfig } from '../../src/config/types.ts';
import { configToYaml } from '../../src/config/serialize.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { startBouncer, type BouncerOptions, type Bouncer } from '../../src/bouncer/index.ts';
import { baseConfig, memoryLogger, type LogRecord } from '../harness/bouncer.ts';
import { freePort, LOOPBACK } from '../harness/net.ts';
import { IrcClient, type RegisterOptions } from '../harness/irc-client.ts';

export const FIXTURE_MODULES = fileURLToPath(new URL('../fixtures/modules', import.meta.url));

export interface Bnc {
  port: number;
  ports: number[];
  bouncer: Bouncer;
  config: Config;
  configFile: string;
  dir: string;
  logs: LogRecord[];
  waitForLog(pred: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  login(nick: string, reg: RegisterOptions): Promise<IrcClient>;
  connect(): Promise<IrcClient>;
  stop(): Promise<void>;
}

export async function startBnc(
  users: UserConfig[],
  opts: Partial<BouncerOptions> = {},
  tweak?: (c: Config, dir: string) => void,
): Promise<Bnc> {
  const dir = mkdtempSync(join(tmpdir(), 'otrbnc-core-'));
  const port = await freePort();
  const config = baseConfig(dir, port, users);
  tweak?.(config, dir);
  const configFile = join(dir, 'otrbnc.yml');
  const text = configToYaml(config);
  writeFileSync(configFile, text, { mode: 0o600 });
  config.file = configFile;
  const store = ConfigStore.forFile(configFile, text);
  const { logger, records, onRecord } = memoryLogger('debug');
  const running = await startBouncer(config, {
    logger,
    configStore: store,
    moduleDirs: [FIXTURE_MODULES],
    loginFailDelayMs: 100,
    reconnectBaseMs: 300,
    reconnectMaxMs: 2000,
    ...opts,
  });
  let stopped = false;
  return {
    port: running.listenPorts()[0]!,
    ports: running.listenPorts(),
    bouncer: running.bouncer,
    config,
    configFile,
    dir,
    logs: records,
    waitForLog(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < records.length; seen++) {
            if (pred(records[seen]!)) {
              finish();
              resolve(records[seen]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`log: timed out after ${timeoutMs} ms; last: ${records.slice(-8).map((r) => JSON.stringify(r)).join('\n')}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          onRecord.delete(check);
        };
        onRecord.add(check);
        check();
      });
    },
    connect: () => IrcClient.connect(running.listenPorts()[0]!, { host: LOOPBACK }),
    async login(nick, reg) {
      const c = await IrcClient.connect(running.listenPorts()[0]!, { name: nick });
      await c.register(nick, reg);
      return c;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until a network of the bouncer is registered upstream (now, or by its log record). */
export async function networkReady(b: Bnc, user: string, network: string, timeoutMs = 10_000): Promise<void> {
  if (b.bouncer.users.get(user)?.networks.get(network)?.connected) return;
  await b.waitForLog((r) => r.msg === 'network connected' && r.user === user && r.network === network, timeoutMs);
}
