// Global flags of the CLI, accepted before or after the subcommand: --config, --data-dir, --listen, --help, --version.

export interface GlobalFlags {
  config?: string;
  dataDir?: string;
  /** `--listen HOST:PORT`: one plain listener instead of the configured ones (not written to the config). */
  listen?: { host: string; port: number };
  help: boolean;
  version: boolean;
}

export interface ParsedArgs {
  flags: GlobalFlags;
  /** The subcommand (default `run`). */
  command: string | undefined;
  /** What follows the subcommand, global flags removed. */
  rest: string[];
}

export class UsageError extends Error {}

const VALUE_FLAGS: Record<string, 'config' | 'dataDir' | 'listen'> = {
  '--config': 'config', '-c': 'config', '--data-dir': 'dataDir', '-d': 'dataDir', '--listen': 'listen', '-l': 'listen',
};

/** `127.0.0.1:6697`, `[::1]:6697`, `localhost:7000`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`--listen takes HOST:PORT (e.g. 127.0.0.1:6697), got ${value}`);
  return { host: m[1] ?? m[2]!, port };
}

export function parseGlobalArgs(argv: readonly string[]): ParsedArgs {
  const flags: GlobalFlags = { help: false, version: false };
  let command: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest.push(...argv.slice(i + 1)); break; }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = VALUE_FLAGS[name];
    if (key !== undefined) {
      const value = name !== a ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      if (key === 'listen') flags.listen = parseListen(value);
      else flags[key] = value;
    } else if (a === '--help' || a === '-h') {
      flags.help = true;
    } else if ((a === '--version' || a === '-V') && command === undefined) {
      flags.version = true;
    } else if (command === undefined && !a.startsWith('-')) {
      command = a;
    } else if (command === undefined) {
      throw new UsageError(`unknown flag ${a}`);
    } else {
      rest.push(a);
    }
  }
  return { flags, command, rest };
}
