// The subcommand table of the `otrbnc` CLI. Built-in commands register in builtin.ts; other code adds
// its own in one of two ways, without touching this directory:
//   - a module ships `modules/<name>/cli.ts` exporting `commands: CliCommand[]` (discovered on demand), or
//   - any file calls `registerCommand({...})` and is imported before `runCli` dispatches.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { CliContext } from './context.ts';

export interface CliCommand {
  /** The word after `otrbnc`, e.g. `hash-password`, `otr`. */
  name: string;
  /** Argument synopsis for --help, e.g. `fingerprints|trust|distrust|import --user U --network N`. */
  args: string;
  /** One line for --help. */
  help: string;
  /** Longer help for `otrbnc <name> --help` (optional). */
  usage?: string;
  /** Runs the command with the arguments after its name (global flags removed); resolves to the exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

const commands = new Map<string, CliCommand>();

export function registerCommand(cmd: CliCommand): void {
  if (!/^[a-z][a-z0-9-]*$/.test(cmd.name)) throw new Error(`invalid CLI command name ${JSON.stringify(cmd.name)}`);
  if (commands.has(cmd.name)) throw new Error(`CLI command ${cmd.name} is registered twice`);
  commands.set(cmd.name, cmd);
}

export function getCommand(name: string): CliCommand | undefined {
  return commands.get(name);
}

export function listCommands(): CliCommand[] {
  return [...commands.values()];
}

export const MODULES_DIR = fileURLToPath(new URL('../../modules/', import.meta.url));

const discovered = new Set<string>();

/** Imports `modules/<name>/cli.ts` of every module that has one and registers its `commands`. */
export async function discoverModuleCommands(modulesDir = MODULES_DIR): Promise<string[]> {
  if (discovered.has(modulesDir)) return [];
  discovered.add(modulesDir);
  const problems: string[] = [];
  if (!existsSync(modulesDir)) return problems;
  for (const ent of readdirSync(modulesDir, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const file = join(modulesDir, ent.name, 'cli.ts');
    if (!existsSync(file)) continue;
    try {
      const mod = (await import(pathToFileURL(file).href)) as { commands?: CliCommand[] };
      for (const c of mod.commands ?? []) if (!commands.has(c.name)) registerCommand(c);
    } catch (e) {
      problems.push(`module ${ent.name}: cli.ts failed to load: ${(e as Error).message}`);
    }
  }
  return problems;
}
