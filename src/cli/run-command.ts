// `otrbnc [run]`: the bouncer in the foreground. Logs (pino, JSON lines) go to stdout at log_level;
// SIGINT / SIGTERM stop it gracefully (modules get their shutdown hook), a later one exits at once
// (stop-signals.ts).
import { statSync } from 'node:fs';
import pino from 'pino';
import type { Config } from '../config/types.ts';
import { startBouncer } from '../bouncer/index.ts';
import { tuneV8 } from '../bouncer/v8-tune.ts';
import { ConfigError } from '../config/load.ts';
import { isHashed } from '../auth/password.ts';
import type { CliCommand } from './registry.ts';
import type { CliContext } from './context.ts';
import { ensureFirstUser } from './first-run.ts';
import { StopSignals } from './stop-signals.ts';


type Running = Awaited<ReturnType<typeof startBouncer>>;

/** Grace period for a graceful stop before the process exits anyway. */
const STOP_TIMEOUT_MS = 15_000;

export function plainTextPasswordUsers(config: Config): string[] {
  return config.users.filter((u) => !isHashed(u.password)).map((u) => u.name);
}

export const runCommand: CliCommand = {
  name: 'run',
  args: '',
  help: 'run the bouncer in the foreground (the default command)',
  async run(args: string[], ctx: CliContext): Promise<number> {
    if (args.length > 0) {
      ctx.err(`otrbnc: unexpected argument ${args[0]} (see otrbnc --help)`);
      return 2;
    }
    tuneV8(); // before the config is parsed: it only prevents heap growth that has not happened yet
    let resolved;
    try {
      resolved = ctx.resolveConfig();
    } catch (e) {
      if (e instanceof ConfigError) {
        ctx.err(`otrbnc: ${e.message}`);
        return 2;
      }
      throw e;
    }
    const { config, store } = resolved;
    const logger = pino({ level: config.logLevel, base: { pid: process.pid } }, ctx.io.stdout as pino.DestinationStream);
    logger.info({ version: ctx.version, config: config.file ?? null, source: resolved.source, dataDir: config.dataDir }, 'otrbnc starting');
    for (const user of plainTextPasswordUsers(config)) {
      logger.warn({ user, config: store.path },
        'plain-text password in the config: it works, but store the output of "otrbnc hash-password" instead');
    }
    if (config.file !== undefined) {
      try {
        if ((statSync(config.file).mode & 0o077) !== 0) {
          logger.warn({ config: config.file }, 'the config file is readable by other users; it holds password hashes and secrets: chmod 600 it');
        }
      } catch { /* checked again when it is written */ }
    }
    try {
      await ensureFirstUser(resolved, ctx.io.stderr);
    } catch (e) {
      ctx.err(`otrbnc: cannot create the first user: ${(e as Error).message}`);
      return 1;
    }

    const onUncaught = (err: Error) => {
      logger.fatal({ err }, 'uncaught exception; exiting');
      process.exit(1);
    };
    const onUnhandled = (reason: unknown) => {
      logger.error({ err: reason }, 'unhandled promise rejection');
    };
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);

    // Signals are caught from here on: one that arrives during start-up stops the bouncer once it is up.
    const signals = new StopSignals();
    let stopNow: ((sig: NodeJS.Signals) => void) | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      const meaning = signals.meaning(sig);
      if (meaning === 'repeat') return;
      if (meaning === 'force') {
        logger.warn({ signal: sig }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      stopNow?.(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const unhook = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUnhandled);
    };

    let running: Running;
    try {
      running = await startBouncer(config, { logger, configStore: store });
    } catch (e) {
      unhook();
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'EADDRINUSE' ? `address already in use (${err.message})` : err.message;
      logger.fatal({ err }, 'start-up failed');
      ctx.err(`otrbnc: cannot start: ${why}`);
      return 1;
    }
    logger.info({ ports: running.listenPorts() }, 'otrbnc running');

    return new Promise<number>((resolve) => {
      stopNow = (sig) => {
        logger.info({ signal: sig }, 'stopping');
        const force = setTimeout(() => {
          logger.error('graceful stop took too long; exiting');
          process.exit(1);
        }, STOP_TIMEOUT_MS);
        force.unref();
        running.stop().then(
          () => { logger.info('otrbnc stopped'); resolve(0); },
          (e: unknown) => { logger.error({ err: e }, 'error while stopping'); resolve(1); },
        ).finally(() => {
          clearTimeout(force);
          unhook();
        });
      };
      if (signals.requested !== undefined) stopNow(signals.requested);
    });
  },
};
