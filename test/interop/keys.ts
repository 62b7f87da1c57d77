// Long-term DSA keys for interop tests, generated once by real libotr and cached in build/keys/
// (key generation takes up to a second or two; tests that need a fresh key make their own).
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build-peer.ts';
import { LibotrPeer } from './libotr-peer.ts';
import { parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';

const KEY_DIR = join(REPO_ROOT, 'build', 'keys');

/** Path of a libotr private key file holding one key for `account` (protocol irc). */
export async function sharedLibotrKey(account: string): Promise<string> {
  const path = join(KEY_DIR, `${account}.key`);
  if (existsSync(path)) return path;
  mkdirSync(KEY_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const peer = await LibotrPeer.start({ account, genkey: tmp });
  await peer.close();
  // Test files run in parallel: the first key to land wins and everybody uses that one.
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  unlinkSync(tmp);
  return path;
}

/** The usual interop setup: one libotr process as account "lib", and our engine's key for account "ours". */
export async function libotrAndOurKey(): Promise<{ lib: LibotrPeer; ourKey: DsaPrivateKey }> {
  const [libKey, oursPath] = await Promise.all([sharedLibotrKey('lib'), sharedLibotrKey('ours')]);
  const lib = await LibotrPeer.start({ account: 'lib', privkey: libKey });
  return { lib, ourKey: parsePrivateKeys(readFileSync(oursPath), oursPath)[0]!.key };
}
