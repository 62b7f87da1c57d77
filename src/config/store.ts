// Writes changes made at run time (from *status, first-run admin creation) back to the config file,
// keeping its comments and layout, atomically and with the file's existing mode. Without a config file,
// changes go to <data_dir>/otrbnc.yml, which the next start without --config picks up.
//
// The store persists only; the bouncer keeps its own in-memory Config up to date.
import { readFile, stat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument, isMap, isSeq, isScalar, Document, LineCounter, type YAMLMap } from 'yaml';
import type { Config, NetworkConfig, UserConfig } from './types.ts';
import { networkToYaml, listenToYaml } from './serialize.ts';
import { DATA_DIR_CONFIG_NAME } from './defaults.ts';
import { configFromDocument, ConfigError } from './load.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

const HEADER = [
  ' otrbnc configuration, written by otrbnc on first start.',
  ' Edit freely: comments are kept when otrbnc changes this file (e.g. /msg *status addnetwork).',
  ' Every key is described in config.example.yml.',
].join('\n');

export class ConfigStore {
  /**
   * The text we last read or wrote; only to recreate the file if it vanishes. The parsed Document is not
   * kept: it costs several KB per network for the life of the process, and a change re-reads the file anyway.
   */
  private lastText: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The file changes are written to. */
    readonly path: string,
    text: string | undefined,
    /** For a new data-dir config: what to write before the first change. */
    private readonly seed: Config | undefined,
  ) {
    this.lastText = text;
  }

  /** A store over a loaded config file (`text`: its content as loaded, loadConfigFile's `text`). */
  static forFile(path: string, text?: string): ConfigStore {
    return new ConfigStore(path, text, undefined);
  }

  /**
   * A store for a bouncer started on the embedded defaults: the first change creates
   * <data_dir>/otrbnc.yml (mode 0600, data dir 0700) holding listen, log_level and users.
   */
  static forDataDir(config: Config): ConfigStore {
    return new ConfigStore(join(config.dataDir, DATA_DIR_CONFIG_NAME), undefined, config);
  }

  addUser(user: UserConfig): Promise<void> {
    return this.change((doc) => {
      const users = ensureMap(doc, ['users']);
      if (users.has(user.name)) throw new Error(`user ${user.name} already exists in ${this.path}`);
      const node = doc.createNode({ password: user.password }) as YAMLMap;
      if (user.networks.length > 0) {
        const nets = doc.createNode({}) as YAMLMap;
        for (const n of user.networks) nets.set(doc.createNode(n.name), networkNode(doc, n));
        node.set('networks', nets);
      }
      users.set(doc.createNode(user.name), node);
    });
  }

  setPassword(user: string, stored: string): Promise<void> {
    return this.change((doc) => {
      const u = userMap(doc, user, this.path);
      u.set('password', stored);
    });
  }

  addNetwork(user: string, network: NetworkConfig): Promise<void> {
    return this.change((doc) => {
      userMap(doc, user, this.path);
      const nets = ensureMap(doc, ['users', user, 'networks']);
      if (nets.has(network.name)) throw new Error(`network ${network.name} of user ${user} already exists in ${this.path}`);
      // `networks: {}` as written for an empty map: grow it as a block, not on one line.
      if (nets.flow && nets.items.length === 0) nets.flow = false;
      nets.set(doc.createNode(network.name), networkNode(doc, network));
    });
  }

  deleteNetwork(user: string, name: string): Promise<void> {
    return this.change((doc) => {
      userMap(doc, user, this.path);
      const nets = doc.getIn(['users', user, 'networks']);
      if (!isMap(nets) || !nets.has(name)) throw new Error(`network ${name} of user ${user} is not in ${this.path}`);
      nets.delete(name);
    });
  }

  setNetworkModules(user: string, network: string, modules: string[]): Promise<void> {
    return this.change((doc) => {
      userMap(doc, user, this.path);
      const net = doc.getIn(['users', user, 'networks', network]);
      if (!isMap(net)) throw new Error(`network ${network} of user ${user} is not in ${this.path}`);
      const node = doc.createNode([...modules]);
      node.flow = true;
      net.set('modules', node);
    });
  }

  /** Serialises changes: each one re-reads and parses the file (it may have been edited by hand), edits, writes. */
  private change(edit: (doc: Document) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const doc = await this.current();
      edit(doc);
      const text = doc.toString();
      // Never write a file that would not load again.
      const lc = new LineCounter();
      const check = parseDocument(text, { lineCounter: lc });
      configFromDocument(check, lc, { file: this.path });
      let mode = 0o600;
      try {
        mode = (await stat(this.path)).mode & 0o777;
      } catch {
        if (this.seed) await mkdir(this.seed.dataDir, { recursive: true, mode: 0o700 });
      }
      await writeFileAtomic(this.path, text, mode);
      this.lastText = text;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async current(): Promise<Document> {
    let text: string | undefined;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text === undefined) {
      if (this.lastText !== undefined) text = this.lastText; // the file vanished: recreate it from what we know
      else if (this.seed) return this.seedDoc(this.seed);
      else throw new Error(`config file ${this.path} is missing`);
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    // We never write a file that does not load, so a broken one was edited by hand: refuse to clobber it.
    try {
      configFromDocument(doc, lc, { file: this.path });
    } catch (e) {
      if (e instanceof ConfigError) throw new Error(`not saving: the config file was edited and is invalid now\n${e.message}`);
      throw e;
    }
    this.lastText = text;
    return doc;
  }

  private seedDoc(c: Config): Document {
    const doc = new Document({ listen: c.listen.map(listenToYaml), log_level: c.logLevel, users: {} });
    doc.commentBefore = HEADER;
    const listen = doc.get('listen');
    if (listen && typeof listen === 'object' && 'items' in listen) {
      for (const item of (listen as YAMLMap).items as unknown as YAMLMap[]) if (isMap(item)) item.flow = true;
    }
    return doc;
  }
}

/** A network as a block mapping whose short lists and maps stay on one line, as a person would write them. */
function networkNode(doc: Document, n: NetworkConfig): YAMLMap {
  const node = doc.createNode(networkToYaml(n)) as YAMLMap;
  for (const k of ['channels', 'modules', 'flood', 'sasl']) {
    const v: unknown = node.get(k, true);
    if (isMap(v) || isSeq(v)) v.flow = true;
  }
  return node;
}

function ensureMap(doc: Document, path: string[]): YAMLMap {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  let cur = doc.contents as unknown as YAMLMap;
  for (const key of path) {
    let next: unknown = cur.get(key, true);
    if (!isMap(next)) {
      const created = doc.createNode({}) as YAMLMap;
      // Keep a comment that sat on a bare `key:` (null scalar).
      if (isScalar(next) && next.comment) created.comment = next.comment;
      cur.set(key, created);
      next = created;
    }
    cur = next as YAMLMap;
  }
  return cur;
}

function userMap(doc: Document, user: string, path: string): YAMLMap {
  const u = doc.getIn(['users', user]);
  if (!isMap(u)) throw new Error(`user ${user} is not in ${path}`);
  return u;
}
