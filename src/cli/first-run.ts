// First start with no user at all: create `admin` with a generated password, save only its hash, and
// show the password once on the terminal (stderr, never through the logger).
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import { hashPassword } from '../auth/password.ts';
import type { ResolvedConfig } from './context.ts';

export const FIRST_USER = 'admin';

export function generatePassword(): string {
  return randomBytes(18).toString('base64url'); // 24 characters, 144 bits
}

/** Returns the generated password when the admin user was created, undefined when users exist. */
export async function ensureFirstUser(resolved: ResolvedConfig, stderr: NodeJS.WritableStream & { isTTY?: boolean }): Promise<string | undefined> {
  const { config, store } = resolved;
  if (config.users.length > 0) return undefined;
  const password = generatePassword();
  const stored = await hashPassword(password);
  await store.addUser({ name: FIRST_USER, password: stored, networks: [] });
  config.users.push({ name: FIRST_USER, password: stored, networks: [] });
  const listen = config.listen[0];
  const where = listen ? `${listen.host}:${listen.port}${listen.tls ? ' (TLS)' : ''}` : 'the configured address';
  showOnTerminal(stderr, [
    '',
    `otrbnc: first start: created user "${FIRST_USER}" with this password (shown only this once):`,
    '',
    `    ${password}`,
    '',
    `  Its hash is saved in ${store.path}.`,
    `  Connect your IRC client to ${where} with the server password "${FIRST_USER}:${password}",`,
    '  then add a network:  /msg *status addnetwork libera irc.libera.chat +6697',
    '',
    '',
  ].join('\n'));
  return password;
}

/**
 * Writes to stderr when that is a terminal; when stderr is redirected (to a log file, say) but the process
 * still has a controlling terminal, writes there instead, so the password stays out of the file.
 */
function showOnTerminal(stderr: NodeJS.WritableStream & { isTTY?: boolean }, text: string): void {
  if (!stderr.isTTY) {
    let fd: number | undefined;
    try {
      fd = openSync('/dev/tty', 'w');
      writeSync(fd, text);
      stderr.write('otrbnc: first start: the password of the new user "admin" was shown on the terminal.\n');
      return;
    } catch {
      // No controlling terminal (a service, a container): stderr is all there is.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  stderr.write(text);
}
