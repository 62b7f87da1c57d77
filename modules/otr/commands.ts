// The `*otr` commands: name, synopsis and one line of help (the host generates `help` from
// them), each parsing its arguments and answering every wrong use with one line plus the synopsis.
import type { ModuleContext } from '../../src/modules/api.ts';
import type { OtrGlue } from './otr-module.ts';
import { parseAuth, parseAuthq, parseGenkey, parseListArg, parseNick, parseTrustArg, type Parsed } from './parse.ts';
import { T } from './texts.ts';

interface Spec {
  name: string;
  args: string;
  help: string;
  run(glue: OtrGlue, rest: string, usage: (error: string) => void): void;
}

export const COMMANDS: Spec[] = [
  {
    name: 'info', args: '', help: 'List known fingerprints and the state of each conversation.',
    run(glue, rest, usage) {
      if (rest.trim()) return usage(T.tooManyArgs);
      for (const line of glue.info()) glue.ctx.reply(line);
    },
  },
  {
    name: 'trust', args: '<nick|fingerprint>', help: "Mark a peer's fingerprint as trusted, after verifying it over a secure channel.",
    run(glue, rest, usage) {
      const a = parseTrustArg(rest);
      if (!a.ok) return usage(a.error);
      const r = glue.setTrust(a, true);
      if (r.wrongUse) return usage(r.text);
      glue.ctx.reply(r.text);
    },
  },
  {
    name: 'distrust', args: '<nick|fingerprint>', help: "Mark a peer's fingerprint as not trusted.",
    run(glue, rest, usage) {
      const a = parseTrustArg(rest);
      if (!a.ok) return usage(a.error);
      const r = glue.setTrust(a, false);
      if (r.wrongUse) return usage(r.text);
      glue.ctx.reply(r.text);
    },
  },
  {
    name: 'finish', args: '<nick>', help: 'End the OTR conversation with nick; messages to nick then go in plaintext.',
    run(glue, rest, usage) {
      const a = nickArg(glue, parseNick(rest));
      if (!a.ok) return usage(a.error);
      const err = glue.finish(a.nick);
      if (err) usage(err);
    },
  },
  {
    name: 'start', args: '<nick>', help: 'Start (or refresh) an OTR conversation with nick, as an OTR query sent to nick does.',
    run(glue, rest, usage) {
      const a = nickArg(glue, parseNick(rest));
      if (!a.ok) return usage(a.error);
      const err = glue.start(a.nick);
      if (err) usage(err);
    },
  },
  {
    name: 'auth', args: '<nick> <secret>', help: 'Authenticate nick with a shared secret, or answer their request.',
    run(glue, rest, usage) {
      const a = nickArg(glue, parseAuth(rest));
      if (!a.ok) return usage(a.error);
      const err = glue.auth(a.nick, a.secret);
      if (err) usage(err);
    },
  },
  {
    name: 'authq', args: '<nick> <[question]> <secret>', help: 'Authenticate nick with a shared secret, asking a question (in square brackets).',
    run(glue, rest, usage) {
      const a = nickArg(glue, parseAuthq(rest));
      if (!a.ok) return usage(a.error);
      const err = glue.auth(a.nick, a.secret, a.question);
      if (err) usage(err);
    },
  },
  {
    name: 'authabort', args: '<nick>', help: 'Abort the authentication with nick.',
    run(glue, rest, usage) {
      const a = nickArg(glue, parseNick(rest));
      if (!a.ok) return usage(a.error);
      const err = glue.authAbort(a.nick);
      if (err) usage(err);
    },
  },
  {
    name: 'genkey', args: '[--overwrite]', help: 'Generate a new private key (in the background); --overwrite replaces the existing one.',
    run(glue, rest, usage) {
      const a = parseGenkey(rest);
      if (!a.ok) return usage(a.error);
      glue.genkey(a.overwrite);
    },
  },
  {
    name: 'ignore', args: '[--remove] [nick]', help: 'Show or change the nicks OTR is disabled for. Accepts wildcards.',
    run(glue, rest, usage) {
      const a = parseListArg(rest);
      if (!a.ok) return usage(a.error);
      const err = glue.listCommand('ignore', a);
      if (err) usage(err);
    },
  },
  {
    name: 'enable', args: '[--remove] [nick]', help: 'Show or change the nicks OTR applies to (default *). Accepts wildcards.',
    run(glue, rest, usage) {
      const a = parseListArg(rest);
      if (!a.ok) return usage(a.error);
      const err = glue.listCommand('enable', a);
      if (err) usage(err);
    },
  },
];

/** Nick arguments must not be channels. */
function nickArg<V extends { nick: string }>(glue: OtrGlue, a: Parsed<V>): Parsed<V> {
  if (a.ok && glue.ctx.isChannel(a.nick)) return { ok: false, error: T.channelNotAllowed(a.nick) };
  return a;
}

export function registerCommands(ctx: ModuleContext, glue: OtrGlue): void {
  for (const spec of COMMANDS) {
    ctx.registerCommand({
      name: spec.name,
      args: spec.args,
      help: spec.help,
      run: (rest) => spec.run(glue, rest, (error) => ctx.reply(`${error} ${T.usage(spec.name, spec.args)}`)),
    });
  }
}
