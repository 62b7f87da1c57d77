import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrivateKeys } from '../../src/otr/keyfiles.ts';
import { generateDsaKey } from '../../src/otr/keygen.ts';
import { FileStore } from './file-store.ts';
import { KEY_FILE } from './store.ts';

const FIXTURE = new URL('../../test/fixtures/libotr-quoted-x.key', import.meta.url);

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otr-file-store-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function store(dir: string, asides: string[] = []): FileStore {
  return new FileStore(dir, 'alice', async (name, data) => writeFileSync(join(dir, name), data, { mode: 0o600 }), (name, aside) => asides.push(`${name} -> ${aside}`));
}

test('a libotr key copied in whose x libgcrypt wrote as raw bytes is used (the file is read as bytes)', withDir(async (dir) => {
  const bytes = readFileSync(FIXTURE);
  writeFileSync(join(dir, KEY_FILE), bytes);
  const files = await store(dir).load();
  assert.deepEqual(files.problems, []);
  assert.deepEqual(files.key, parsePrivateKeys(bytes)[0]!.key, 'its only key is adopted');
}));

test('a key file that cannot be parsed is renamed aside before a new key replaces it, never lost', withDir(async (dir) => {
  const broken = '(privkeys (account (name "alice") (protocol irc) (private-key (dsa (p #01)))))\n';
  writeFileSync(join(dir, KEY_FILE), broken);
  const asides: string[] = [];
  const s = store(dir, asides);
  const files = await s.load();
  assert.equal(files.key, undefined);
  assert.equal(files.problems.length, 1);
  assert.match(files.problems[0]!, /^otr\.key \(/);
  assert.equal(readFileSync(join(dir, KEY_FILE), 'utf8'), broken, 'loading leaves the file alone');

  const key = await generateDsaKey();
  await s.saveKey(key);
  const aside = readdirSync(dir).find((f) => f.startsWith('otr.key.unreadable-'));
  assert.ok(aside, `renamed aside: ${readdirSync(dir).join(', ')}`);
  assert.equal(readFileSync(join(dir, aside), 'utf8'), broken);
  assert.deepEqual(asides, [`otr.key -> ${aside}`]);
  assert.deepEqual(parsePrivateKeys(readFileSync(join(dir, KEY_FILE)))[0]!.key, key);
}));

test('a key file that cannot be read fails the write instead of being replaced', withDir(async (dir) => {
  mkdirSync(join(dir, KEY_FILE)); // EISDIR on read (root reads any file, so no chmod here)
  const writes: string[] = [];
  const s = new FileStore(dir, 'alice', async (name) => void writes.push(name));
  await assert.rejects(s.saveKey(await generateDsaKey()), /EISDIR/);
  assert.deepEqual(writes, [], 'nothing was written over it');
}));
