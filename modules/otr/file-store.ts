// The OtrStore of one network: libotr's files in the module's storage directory, under the
// names ZNC's otr module uses (otr.key, otr.fp, otr.instag), so its moddata directory can be
// copied in as it is. Entries of other accounts in these files are kept on every write. A file
// copied from another client (irssi-otr: account "nick@server", protocol "IRC") has no entry for
// our account: then its only key and its fingerprints are adopted, and rewritten under our name.
// Files are read as bytes: libgcrypt writes some key numbers as strings of raw bytes. A file that is
// there but cannot be parsed is never overwritten: before a write replaces it, it is renamed aside.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { KnownFingerprint } from '../../src/otr/api.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';
import {
  parseFingerprints, parseInstanceTags, parsePrivateKeys,
  serializeFingerprints, serializeInstanceTags, serializePrivateKeys,
  type FingerprintEntry, type InstanceTagEntry, type PrivateKeyEntry,
} from '../../src/otr/keyfiles.ts';
import { FINGERPRINT_FILE, INSTAG_FILE, KEY_FILE, type OtrFiles, type OtrStore } from './store.ts';

export type WriteFile = (name: string, data: string) => Promise<void>;
type Parse<T> = (bytes: Uint8Array, file: string) => T[];

/** The name an unreadable file gets before it is replaced. */
export function asideName(name: string, now = new Date()): string {
  return `${name}.unreadable-${now.toISOString().replace(/[:.]/g, '-')}`;
}

export const PROTOCOL = 'irc';

export class FileStore implements OtrStore {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly account: string,
    private readonly write: WriteFile,
    private readonly onSetAside: (name: string, aside: string) => void = () => {},
  ) {}

  async #read(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  #mine(e: { account: string; protocol: string }): boolean {
    return e.account === this.account && e.protocol.toLowerCase() === PROTOCOL;
  }

  async load(): Promise<OtrFiles> {
    const out: OtrFiles = { fingerprints: [], problems: [] };
    const attempt = async <T>(name: string, parse: Parse<T>): Promise<T[]> => {
      try {
        const b = await this.#read(name);
        return b === undefined ? [] : parse(b, name);
      } catch (e) {
        out.problems.push(`${name} (${(e as Error).message})`);
        return [];
      }
    };
    const keys = await attempt(KEY_FILE, parsePrivateKeys);
    const fps = await attempt(FINGERPRINT_FILE, parseFingerprints);
    const tags = await attempt(INSTAG_FILE, parseInstanceTags);
    out.key = (keys.find((k) => this.#mine(k)) ?? (keys.length === 1 ? keys[0] : undefined))?.key;
    const myFps = fps.filter((f) => this.#mine(f));
    const adopt = myFps.length ? myFps : fps.filter((f) => f.protocol.toLowerCase() === PROTOCOL);
    out.fingerprints = adopt.map((f) => ({ peer: f.peer, fingerprint: f.fingerprint, trust: f.trust }));
    out.instanceTag = (tags.find((t) => this.#mine(t)) ?? (tags.length === 1 ? tags[0] : undefined))?.instanceTag;
    return out;
  }

  #serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * The entries of other accounts in a file about to be rewritten. A read error fails the write; a file
   * that cannot be parsed is renamed aside (its name is passed to onSetAside) and replaced by what we know.
   */
  async #others<T extends { account: string; protocol: string }>(name: string, parse: Parse<T>): Promise<T[]> {
    const b = await this.#read(name);
    if (b === undefined) return [];
    try {
      return parse(b, name).filter((e) => !this.#mine(e));
    } catch {
      const aside = asideName(name);
      await rename(join(this.dir, name), join(this.dir, aside));
      this.onSetAside(name, aside);
      return [];
    }
  }

  saveKey(key: DsaPrivateKey): Promise<void> {
    return this.#serialized(async () => {
      const others = await this.#others<PrivateKeyEntry>(KEY_FILE, parsePrivateKeys);
      await this.write(KEY_FILE, serializePrivateKeys([...others, { account: this.account, protocol: PROTOCOL, key }]));
    });
  }

  saveFingerprints(list: readonly KnownFingerprint[]): Promise<void> {
    return this.#serialized(async () => {
      const others = await this.#others<FingerprintEntry>(FINGERPRINT_FILE, parseFingerprints);
      const mine = list.map((f) => ({ peer: f.peer, account: this.account, protocol: PROTOCOL, fingerprint: f.fingerprint, trust: f.trust }));
      await this.write(FINGERPRINT_FILE, serializeFingerprints([...others, ...mine]));
    });
  }

  saveInstanceTag(instanceTag: number): Promise<void> {
    return this.#serialized(async () => {
      const others = await this.#others<InstanceTagEntry>(INSTAG_FILE, parseInstanceTags);
      await this.write(INSTAG_FILE, serializeInstanceTags([...others, { account: this.account, protocol: PROTOCOL, instanceTag }]));
    });
  }
}
