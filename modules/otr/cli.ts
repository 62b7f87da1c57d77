// `otrbnc otr fingerprints|trust|distrust|import --user U --network N …`: the OTR files of one
// network, read and changed without a running bouncer (stop it first: a running module rewrites
// its files from memory).
import { parseArgs } from 'node:util';
import { mkdir, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import Table from 'cli-table3';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { fingerprint as fingerprintOf, formatFingerprint } from '../../src/otr/dsa.ts';
import { parseFingerprints, parseInstanceTags, parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import type { KnownFingerprint } from '../../src/otr/api.ts';
import { FileStore, PROTOCOL } from './file-store.ts';
import { trustName } from './info-table.ts';

export const OTR_CLI_USAGE = `Usage:
  otrbnc otr fingerprints --user U --network N
  otrbnc otr trust --user U --network N <peer|fingerprint>
  otrbnc otr distrust --user U --network N <peer|fingerprint>
  otrbnc otr import --user U --network N [--from DIR] [--key FILE] [--fingerprints FILE]
                    [--instance-tags FILE] [--account NAME] [--overwrite]
Reads and writes <data>/users/U/networks/N/otr/ (libotr formats: otr.key, otr.fp, otr.instag).
import takes libotr files from irssi-otr, pidgin-otr or ZNC's otr module (--from DIR finds
otr.private_key/otr.fingerprints/otr.instance_tags or otr.key/otr.fp/otr.instag there).
Stop the bouncer first: a running module writes these files from memory.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export function otrStorageDir(dataDir: string, user: string, network: string): string {
  return join(dataDir, 'users', user, 'networks', network, 'otr');
}

class CliError extends Error {}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Returns the process exit code. */
export async function runOtrCli(argv: string[], dataDir: string, io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: 'string' }, network: { type: 'string' }, from: { type: 'string' }, key: { type: 'string' },
        fingerprints: { type: 'string' }, 'instance-tags': { type: 'string' }, account: { type: 'string' },
        overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${OTR_CLI_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (v.help || !sub) {
    (v.help ? io.out : io.err)(OTR_CLI_USAGE);
    return v.help ? 0 : 2;
  }
  if (!v.user || !v.network) {
    io.err(`--user and --network are required.\n${OTR_CLI_USAGE}`);
    return 2;
  }
  const dir = otrStorageDir(dataDir, v.user, v.network);
  const store = new FileStore(dir, v.user, async (name, data) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, name), data, 0o600);
  }, (name, aside) => io.err(`warning: ${name} could not be read; renamed to ${aside}`));
  try {
    switch (sub) {
      case 'fingerprints':
        if (rest.length) throw new CliError('fingerprints takes no arguments.');
        return await listFingerprints(store, io);
      case 'trust':
      case 'distrust':
        if (rest.length === 0) throw new CliError(`${sub} needs a peer nick or a fingerprint.`);
        return await changeTrust(store, rest.join(' '), sub === 'trust', io);
      case 'import':
        if (rest.length) throw new CliError('import takes only options.');
        return await importFiles(store, v, io);
      default:
        throw new CliError(`Unknown subcommand "${sub}".`);
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`${e.message}\n${OTR_CLI_USAGE}`);
      return 2;
    }
    io.err(`otr: ${(e as Error).message}`);
    return 1;
  }
}

async function listFingerprints(store: FileStore, io: CliIo): Promise<number> {
  const files = await store.load();
  for (const p of files.problems) io.err(`warning: could not use ${p}`);
  if (files.fingerprints.length === 0) io.out('No fingerprints known.');
  else {
    const t = new Table({ head: ['Peer', 'Fingerprint', 'Trust'], style: { head: [], border: [], compact: true } });
    for (const f of [...files.fingerprints].sort((a, b) => a.peer.localeCompare(b.peer))) {
      t.push([f.peer, formatFingerprint(f.fingerprint), trustName(f.trust)]);
    }
    io.out(t.toString());
  }
  io.out(files.key ? `Your fingerprint: ${formatFingerprint(fingerprintOf(files.key))}.` : 'No private key yet.');
  return 0;
}

async function changeTrust(store: FileStore, arg: string, trusted: boolean, io: CliIo): Promise<number> {
  const files = await store.load();
  if (files.problems.length) throw new Error(`cannot use ${files.problems.join(', ')}`);
  const compact = arg.replace(/\s+/g, '').toUpperCase();
  let matches: KnownFingerprint[];
  if (/^[0-9A-F]{40}$/.test(compact)) matches = files.fingerprints.filter((f) => f.fingerprint === compact);
  else {
    const nick = arg.toLowerCase();
    matches = files.fingerprints.filter((f) => f.peer.toLowerCase() === nick);
    if (matches.length > 1) {
      throw new CliError(`${arg} has ${matches.length} fingerprints; give the one to ${trusted ? 'trust' : 'distrust'}:\n` +
        matches.map((m) => `  ${formatFingerprint(m.fingerprint)} (${trustName(m.trust)})`).join('\n'));
    }
  }
  const target = matches[0];
  if (!target) {
    io.err(`No known fingerprint for "${arg}".`);
    return 1;
  }
  const shown = formatFingerprint(target.fingerprint);
  if (trusted === (target.trust !== '')) {
    io.out(`[${target.peer}] Fingerprint ${shown} ${trusted ? 'is already trusted' : 'was not trusted'}.`);
    return 0;
  }
  target.trust = trusted ? 'verified' : '';
  await store.saveFingerprints(files.fingerprints);
  io.out(`[${target.peer}] Fingerprint ${shown} ${trusted ? 'trusted' : 'distrusted'}.`);
  return 0;
}

async function firstExisting(dir: string, names: string[]): Promise<string | undefined> {
  for (const n of names) if (await exists(join(dir, n))) return join(dir, n);
  return undefined;
}

async function importFiles(
  store: FileStore,
  v: { from?: string; key?: string; fingerprints?: string; 'instance-tags'?: string; account?: string; overwrite?: boolean },
  io: CliIo,
): Promise<number> {
  const keyPath = v.key ?? (v.from ? await firstExisting(v.from, ['otr.private_key', 'otr.key']) : undefined);
  const fpPath = v.fingerprints ?? (v.from ? await firstExisting(v.from, ['otr.fingerprints', 'otr.fp']) : undefined);
  const tagPath = v['instance-tags'] ?? (v.from ? await firstExisting(v.from, ['otr.instance_tags', 'otr.instag']) : undefined);
  if (!keyPath && !fpPath && !tagPath) throw new CliError('Nothing to import: give --from DIR or --key/--fingerprints/--instance-tags.');
  const current = await store.load();
  if (current.problems.length) throw new Error(`cannot use ${current.problems.join(', ')}`);

  // Which account of the source files: --account, or the only one there is.
  const pickAccount = (accounts: string[], what: string): string | undefined => {
    const uniq = [...new Set(accounts)];
    if (v.account !== undefined) return uniq.includes(v.account) ? v.account : undefined;
    if (uniq.length > 1) throw new CliError(`${what} holds several accounts (${uniq.join(', ')}); choose one with --account.`);
    return uniq[0];
  };

  if (keyPath) {
    const keys = parsePrivateKeys(await readFile(keyPath), keyPath);
    const account = pickAccount(keys.map((k) => k.account), keyPath);
    const entry = keys.find((k) => k.account === account);
    if (!entry) throw new CliError(`${keyPath} has no key for account ${v.account ?? '(any)'}.`);
    const fp = fingerprintOf(entry.key);
    if (current.key && fingerprintOf(current.key) !== fp && !v.overwrite) {
      throw new CliError(`A different private key exists (${formatFingerprint(fingerprintOf(current.key))}); add --overwrite to replace it.`);
    }
    await store.saveKey(entry.key);
    io.out(`Imported the private key of ${entry.account} (${entry.protocol}): ${formatFingerprint(fp)}.`);
  }
  if (fpPath) {
    const all = parseFingerprints(await readFile(fpPath), fpPath);
    const account = pickAccount(all.map((f) => f.account), fpPath);
    const chosen = all.filter((f) => f.account === account);
    const merged = [...current.fingerprints];
    let added = 0;
    for (const f of chosen) {
      const have = merged.find((m) => m.peer.toLowerCase() === f.peer.toLowerCase() && m.fingerprint === f.fingerprint);
      if (!have) {
        merged.push({ peer: f.peer.toLowerCase(), fingerprint: f.fingerprint, trust: f.trust });
        added++;
      } else if (have.trust === '' && f.trust !== '') {
        have.trust = f.trust;
        added++;
      }
    }
    await store.saveFingerprints(merged);
    io.out(`Imported ${added} fingerprint${added === 1 ? '' : 's'} (of ${chosen.length}).`);
  }
  if (tagPath) {
    const tags = parseInstanceTags(await readFile(tagPath), tagPath);
    const account = pickAccount(tags.map((t) => t.account), tagPath);
    const entry = tags.find((t) => t.account === account);
    if (!entry) throw new CliError(`${tagPath} has no instance tag for account ${v.account ?? '(any)'}.`);
    if (current.instanceTag !== undefined && current.instanceTag !== entry.instanceTag && !v.overwrite) {
      io.out('Kept the existing instance tag (add --overwrite to replace it).');
    } else {
      await store.saveInstanceTag(entry.instanceTag);
      io.out(`Imported the instance tag ${entry.instanceTag.toString(16).padStart(8, '0')}.`);
    }
  }
  io.out(`Stored for user ${store.account}, protocol ${PROTOCOL}.`);
  return 0;
}

/** What this command needs of the CLI's context (src/cli/context.ts). */
interface CliContextLike {
  out(line: string): void;
  err(line: string): void;
  resolveConfig(): { config: { dataDir: string } };
}

/** Discovered by the CLI (src/cli/registry.ts): `otrbnc otr …`. */
export const commands = [
  {
    name: 'otr',
    args: 'fingerprints|trust|distrust|import --user U --network N ...',
    help: "Show and change a network's OTR fingerprints, or import libotr key files, without a running bouncer.",
    usage: OTR_CLI_USAGE,
    async run(args: string[], ctx: CliContextLike): Promise<number> {
      let dataDir: string;
      try {
        dataDir = ctx.resolveConfig().config.dataDir;
      } catch (e) {
        ctx.err(`otr: ${(e as Error).message}`);
        return 2;
      }
      return runOtrCli(args, dataDir, { out: (l) => ctx.out(l), err: (l) => ctx.err(l) });
    },
  },
];
