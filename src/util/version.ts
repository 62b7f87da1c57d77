// The bouncer's version, from its package.json: found by walking up from this file, so it is the same
// when run from the sources (src/util/) and from a compiled build (dist/src/util/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'otrbnc' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here, or not ours: keep going up
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

export const VERSION: string = findVersion();
