import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings, serializeSettings, defaultSettings, loadSettings, SETTINGS_FILE } from './settings.ts';

test('settings round-trip', () => {
  const s = { ...defaultSettings(), ignore: ['Guest*'], enable: ['*', 'x'], policy: 'always' as const, securityNoteShown: true };
  assert.deepEqual(parseSettings(serializeSettings(s)), { settings: s });
});

test('defaults: enable *, nothing ignored, opportunistic', () => {
  assert.deepEqual(defaultSettings(), { ignore: [], enable: ['*'], policy: 'opportunistic', securityNoteShown: false });
});

test('damaged settings fall back with a reason instead of throwing', () => {
  assert.equal(parseSettings('{').problem !== undefined, true);
  assert.deepEqual(parseSettings('[]').settings, defaultSettings());
  const r = parseSettings('{"ignore": [1], "enable": ["bob"], "policy": "never"}');
  assert.deepEqual(r.settings.enable, ['bob']);
  assert.deepEqual(r.settings.ignore, []);
  assert.equal(r.settings.policy, 'opportunistic');
  assert.match(r.problem!, /ignore/);
  assert.match(r.problem!, /policy/);
});

test('loadSettings: missing file gives defaults, a file is read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'otr-settings-'));
  try {
    assert.deepEqual(await loadSettings(dir), { settings: defaultSettings() });
    await writeFile(join(dir, SETTINGS_FILE), '{"ignore":["nickserv"]}');
    assert.deepEqual((await loadSettings(dir)).settings.ignore, ['nickserv']);
  } finally {
    await rm(dir, { recursive: true });
  }
});
