// Builds the project's small C programs that link against Debian's libotr 4.1.1 (libotr5-dev):
// the interop peer (test/interop/otrpeer.c) and the benchmark driver (bench/libotr-bench.c).
// Compiled with gcc into build/ at the repository root, only when the source is newer than the binary.
// Concurrent callers (test files run in parallel) each compile to a temp name and rename into place.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the nearest directory up with a package.json (this file also runs compiled, from dist/). */
export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
const BUILD_DIR = join(REPO_ROOT, 'build');

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

function pkgConfig(args: string[]): string[] {
  try {
    return execFileSync('pkg-config', args, { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  } catch {
    throw new Error(`pkg-config ${args.join(' ')} failed: install gcc, pkg-config and libotr5-dev (see .ci/run)`);
  }
}

/** Compiles `source` (relative to the repository root) into build/<name> if needed; returns the binary path. */
export function buildC(source: string, name: string): string {
  const src = join(REPO_ROOT, source);
  const bin = join(BUILD_DIR, name);
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const flags = [...pkgConfig(['--cflags', 'libotr', 'libgcrypt'])];
  const libs = [...pkgConfig(['--libs', 'libotr', 'libgcrypt'])];
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-std=gnu11', ...flags, '-o', tmp, src, ...libs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    try { unlinkSync(tmp); } catch { /* not created */ }
    throw new Error(`gcc failed to build ${source}:\n${stderr}`);
  }
  renameSync(tmp, bin);
  return bin;
}

export function buildPeer(): string {
  return buildC('test/interop/otrpeer.c', 'otrpeer');
}
