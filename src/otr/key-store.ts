// One directory of libotr key files (the names irssi-otr and ZNC's otr module use):
// otr.private_key, otr.fingerprints, otr.instance_tags. Reads tolerate a missing file (empty);
// writes replace the entries of one account and keep the others, atomically with mode 0600.
// Read-modify-write cycles on one store run one at a time.
import { mkdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { KnownFingerprint } from './api.ts';
import type { DsaPrivateKey } from './dsa.ts';
import {
  KeyFileError,
  parseFingerprints,
  parseInstanceTags,
  parsePrivateKeys,
  serializeFingerprints,
  serializeInstanceTags,
  serializePrivateKeys,
  type FingerprintEntry,
  type InstanceTagEntry,
  type PrivateKeyEntry,
} from './keyfiles.ts';

export const PRIVATE_KEY_FILE = 'otr.private_key';
export const FINGERPRINT_FILE = 'otr.fingerprints';
export const INSTANCE_TAG_FILE = 'otr.instance_tags';

export interface AccountFiles {
  privateKey: DsaPrivateKey | undefined;
  instanceTag: number | undefined;
  fingerprints: KnownFingerprint[];
}

/** The file's bytes (private keys are parsed from bytes), or undefined when it does not exist. */
async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(path, `cannot read: ${(e as Error).message}`);
  }
}

function readOptionalSync(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(path, `cannot read: ${(e as Error).message}`);
  }
}

const same = (a: { account: string; protocol: string }, account: string, protocol: string) =>
  a.account === account && a.protocol === protocol;

export class KeyStore {
  readonly privateKeyPath: string;
  readonly fingerprintPath: string;
  readonly instanceTagPath: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {
    this.privateKeyPath = join(dir, PRIVATE_KEY_FILE);
    this.fingerprintPath = join(dir, FINGERPRINT_FILE);
    this.instanceTagPath = join(dir, INSTANCE_TAG_FILE);
  }

  async readPrivateKeys(): Promise<PrivateKeyEntry[]> {
    const t = await readOptional(this.privateKeyPath);
    return t === undefined ? [] : parsePrivateKeys(t, this.privateKeyPath);
  }

  async readFingerprints(): Promise<FingerprintEntry[]> {
    const t = await readOptional(this.fingerprintPath);
    return t === undefined ? [] : parseFingerprints(t, this.fingerprintPath);
  }

  async readInstanceTags(): Promise<InstanceTagEntry[]> {
    const t = await readOptional(this.instanceTagPath);
    return t === undefined ? [] : parseInstanceTags(t, this.instanceTagPath);
  }

  /** Everything stored for one account; missing files or entries come back undefined / empty. */
  async loadAccount(account: string, protocol: string): Promise<AccountFiles> {
    const [keys, fps, tags] = await Promise.all([this.readPrivateKeys(), this.readFingerprints(), this.readInstanceTags()]);
    return pick(keys, fps, tags, account, protocol);
  }

  /** Synchronous variant of loadAccount for start-up paths. */
  loadAccountSync(account: string, protocol: string): AccountFiles {
    const k = readOptionalSync(this.privateKeyPath);
    const f = readOptionalSync(this.fingerprintPath);
    const t = readOptionalSync(this.instanceTagPath);
    return pick(
      k === undefined ? [] : parsePrivateKeys(k, this.privateKeyPath),
      f === undefined ? [] : parseFingerprints(f, this.fingerprintPath),
      t === undefined ? [] : parseInstanceTags(t, this.instanceTagPath),
      account,
      protocol,
    );
  }

  /** Stores `key` for the account, replacing its old key and keeping other accounts' keys. */
  savePrivateKey(account: string, protocol: string, key: DsaPrivateKey): Promise<void> {
    return this.serialized(async () => {
      const others = (await this.readPrivateKeys()).filter((e) => !same(e, account, protocol));
      await writeFileAtomic(this.privateKeyPath, serializePrivateKeys([...others, { account, protocol, key }]));
    });
  }

  /** Replaces the account's known fingerprints with `list`, keeping other accounts' entries. */
  saveFingerprints(account: string, protocol: string, list: readonly KnownFingerprint[]): Promise<void> {
    return this.serialized(async () => {
      const others = (await this.readFingerprints()).filter((e) => !same(e, account, protocol));
      const mine = list.map((f) => ({ peer: f.peer, account, protocol, fingerprint: f.fingerprint, trust: f.trust }));
      await writeFileAtomic(this.fingerprintPath, serializeFingerprints([...others, ...mine]));
    });
  }

  saveInstanceTag(account: string, protocol: string, instanceTag: number): Promise<void> {
    return this.serialized(async () => {
      const others = (await this.readInstanceTags()).filter((e) => !same(e, account, protocol));
      await writeFileAtomic(this.instanceTagPath, serializeInstanceTags([...others, { account, protocol, instanceTag }]));
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const task = async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      return fn();
    };
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function pick(
  keys: PrivateKeyEntry[],
  fps: FingerprintEntry[],
  tags: InstanceTagEntry[],
  account: string,
  protocol: string,
): AccountFiles {
  return {
    privateKey: keys.find((e) => same(e, account, protocol))?.key,
    instanceTag: tags.find((e) => same(e, account, protocol))?.instanceTag,
    fingerprints: fps
      .filter((e) => same(e, account, protocol))
      .map((e) => ({ peer: e.peer, fingerprint: e.fingerprint, trust: e.trust })),
  };
}
