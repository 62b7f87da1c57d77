// `otrbnc hash-password`: prints the stored form of a password, for the config's `password:` key.
import { hashPassword } from '../auth/password.ts';
import type { CliCommand } from './registry.ts';
import { readFirstLine, readHidden, InputAborted } from './read-password.ts';

export const hashPasswordCommand: CliCommand = {
  name: 'hash-password',
  args: '',
  help: 'read a password (no echo on a terminal, else one line of stdin) and print its scrypt form',
  usage: [
    'usage: otrbnc hash-password',
    '',
    'On a terminal, asks twice without echo. Otherwise reads the first line of stdin:',
    '  printf "%s\\n" "$PASSWORD" | otrbnc hash-password',
    'Prints scrypt$N$r$p$salt$hash, to paste as a user\'s password: in the config.',
  ].join('\n'),
  async run(args, ctx) {
    if (args.length > 0) {
      ctx.err(`otrbnc hash-password: unexpected argument ${args[0]}`);
      return 2;
    }
    let pw: string | undefined;
    try {
      if (ctx.io.stdin.isTTY && ctx.io.stdin.setRawMode) {
        pw = await readHidden(ctx.io, 'Password: ');
        const again = await readHidden(ctx.io, 'Again: ');
        if (again !== pw) {
          ctx.err('otrbnc hash-password: the passwords differ');
          return 1;
        }
      } else {
        pw = await readFirstLine(ctx.io.stdin);
      }
    } catch (e) {
      if (e instanceof InputAborted) {
        ctx.err(`otrbnc hash-password: ${e.message}`);
        return 1;
      }
      throw e;
    }
    if (pw === undefined || pw === '') {
      ctx.err('otrbnc hash-password: empty password');
      return 1;
    }
    ctx.out(await hashPassword(pw));
    return 0;
  },
};
