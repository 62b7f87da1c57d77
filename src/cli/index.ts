// The CLI: global flags, then the subcommand from the registry (default `run`).
import { parseGlobalArgs, UsageError } from './args.ts';
import { CliContext, type CliIo } from './context.ts';
import { VERSION } from '../util/version.ts';
import { registerCommand, getCommand, discoverModuleCommands } from './registry.ts';
import { helpText, commandHelp } from './help.ts';
import { runCommand } from './run-command.ts';
import { hashPasswordCommand } from './hash-password.ts';

let builtinsRegistered = false;
function registerBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  registerCommand(runCommand);
  registerCommand(hashPasswordCommand);
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  registerBuiltins();
  const errOut = (s: string) => io.stderr.write(s + '\n');
  let parsed;
  try {
    parsed = parseGlobalArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      errOut(`otrbnc: ${e.message} (see otrbnc --help)`);
      return 2;
    }
    throw e;
  }
  const { flags, command, rest } = parsed;
  const ctx = new CliContext(flags, io, VERSION);
  if (flags.version) {
    ctx.out(`otrbnc ${VERSION}`);
    return 0;
  }
  let cmd = getCommand(command ?? 'run');
  if (cmd === undefined || (flags.help && command === undefined)) {
    for (const p of await discoverModuleCommands()) errOut(`otrbnc: ${p}`);
    cmd = getCommand(command ?? 'run');
  }
  if (flags.help) {
    io.stdout.write(command === undefined || cmd === undefined ? helpText(VERSION) : commandHelp(cmd));
    return 0;
  }
  if (cmd === undefined) {
    errOut(`otrbnc: unknown command ${JSON.stringify(command)} (see otrbnc --help)`);
    return 2;
  }
  return cmd.run(rest, ctx);
}
