// `otrbnc --help` (and `otrbnc <command> --help`), generated from the registered commands.
import { listCommands, type CliCommand } from './registry.ts';

export function helpText(version: string): string {
  const cmds = listCommands().sort((a, b) => (a.name === 'run' ? -1 : b.name === 'run' ? 1 : a.name.localeCompare(b.name)));
  const rows = cmds.map((c) => [`${c.name}${c.args ? ' ' + c.args : ''}`, c.help] as const);
  const flagLabels = ['-c, --config FILE', '-d, --data-dir DIR', '-l, --listen HOST:PORT', '-h, --help', '-V, --version'];
  const width = Math.min(40, Math.max(...rows.map((r) => r[0].length), ...flagLabels.map((l) => l.length)));
  const fmt = (l: string, r: string) => `  ${l.padEnd(width)}  ${r}`;
  return [
    `otrbnc ${version}: an IRC bouncer with OTR for private messages`,
    '',
    'usage: otrbnc [command] [--config FILE] [--data-dir DIR] [--listen HOST:PORT]',
    '',
    'commands:',
    ...rows.map(([l, r]) => fmt(l, r)),
    '',
    'flags:',
    fmt('-c, --config FILE', 'the YAML config (see config.example.yml); without it: the embedded'),
    fmt('', 'defaults, or <data dir>/otrbnc.yml once a first run has written it'),
    fmt('-d, --data-dir DIR', 'the data directory (overrides data_dir; default ./data)'),
    fmt('-l, --listen HOST:PORT', 'one plain listener instead of the configured ones, for this run only'),
    fmt('-h, --help', 'this help; otrbnc <command> --help for a command\'s own'),
    fmt('-V, --version', 'print the version'),
    '',
    'On the first run without any user, otrbnc creates user "admin" and prints its password once.',
    'Then, from an IRC client: /msg *status help',
    '',
  ].join('\n');
}

export function commandHelp(c: CliCommand): string {
  return (c.usage ?? `usage: otrbnc ${c.name}${c.args ? ' ' + c.args : ''}\n\n${c.help}`) + '\n';
}
