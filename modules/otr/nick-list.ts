// The ignore and enable lists: nick patterns with the IRC wildcards `*` and `?` (matched by
// minimatch), compared under the network's casemapping. Every other glob character (`[`, `]`,
// `\`, braces) is literal, because nicks contain them (`[bot]`, `foo\bar`, `{x}`).
import { minimatch } from 'minimatch';
import type { Casemapping } from '../../src/modules/api.ts';

const MM_OPTIONS = { nobrace: true, noext: true, noglobstar: true, nocomment: true, nonegate: true, dot: true } as const;

/** A pattern is one word without spaces, commas or control characters. */
export function isValidPattern(p: string): boolean {
  return p.length > 0 && p.length <= 100 && !/[\s,\x00-\x1f\x7f]/.test(p);
}

export function patternMatches(pattern: string, nick: string, cm: Casemapping): boolean {
  const p = cm.lower(pattern);
  const n = cm.lower(nick);
  if (!/[*?]/.test(p)) return p === n;
  // Nicks never contain '/', so minimatch's path splitting never applies.
  const escaped = p.replace(/[[\]\\{}()!+@]/g, '\\$&');
  return minimatch(n, escaped, MM_OPTIONS);
}

export class NickList {
  readonly #patterns: string[];

  constructor(patterns: readonly string[] = []) {
    this.#patterns = [...patterns];
  }

  list(): readonly string[] {
    return this.#patterns;
  }

  /** The first pattern matching `nick`, if any. */
  match(nick: string, cm: Casemapping): string | undefined {
    return this.#patterns.find((p) => patternMatches(p, nick, cm));
  }

  /** The stored pattern equal to `pattern` under the casemapping (not a wildcard match). */
  find(pattern: string, cm: Casemapping): string | undefined {
    const p = cm.lower(pattern);
    return this.#patterns.find((q) => cm.lower(q) === p);
  }

  /** false when an equal pattern is already there. */
  add(pattern: string, cm: Casemapping): boolean {
    if (this.find(pattern, cm) !== undefined) return false;
    this.#patterns.push(pattern);
    return true;
  }

  /** The removed pattern as it was stored, or undefined. */
  remove(pattern: string, cm: Casemapping): string | undefined {
    const found = this.find(pattern, cm);
    if (found === undefined) return undefined;
    this.#patterns.splice(this.#patterns.indexOf(found), 1);
    return found;
  }
}
