// settings.json in the module's storage directory: the ignore and enable lists, the policy,
// and whether the load-time security note was shown. A damaged file never stops the module:
// it falls back to the defaults and says why.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type PolicyName = 'opportunistic' | 'always';

export interface Settings {
  ignore: string[];
  enable: string[];
  policy: PolicyName;
  securityNoteShown: boolean;
}

export const SETTINGS_FILE = 'settings.json';

export function defaultSettings(): Settings {
  return { ignore: [], enable: ['*'], policy: 'opportunistic', securityNoteShown: false };
}

export interface LoadedSettings {
  settings: Settings;
  /** Set when the file existed but could not be used as a whole. */
  problem?: string;
}

export function parseSettings(text: string): LoadedSettings {
  const settings = defaultSettings();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { settings, problem: `not valid JSON (${(e as Error).message})` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { settings, problem: 'not a JSON object' };
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['ignore', 'enable'] as const) {
    if (o[key] === undefined) continue;
    const v = o[key];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) settings[key] = [...(v as string[])];
    else problems.push(`"${key}" must be a list of strings`);
  }
  if (o.policy !== undefined) {
    if (o.policy === 'opportunistic' || o.policy === 'always') settings.policy = o.policy;
    else problems.push('"policy" must be "opportunistic" or "always"');
  }
  if (o.securityNoteShown !== undefined) settings.securityNoteShown = o.securityNoteShown === true;
  return problems.length ? { settings, problem: problems.join('; ') } : { settings };
}

export function serializeSettings(s: Settings): string {
  return JSON.stringify(s, null, 2) + '\n';
}

export async function loadSettings(dir: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = await readFile(join(dir, SETTINGS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: defaultSettings() };
    return { settings: defaultSettings(), problem: `cannot be read (${(e as Error).message})` };
  }
  return parseSettings(text);
}
