// "Did you mean …" for unknown config keys: the closest known key by edit distance, where close enough.

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

export function suggest(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    // tlsVerify, TLS-verify → tls_verify
    const d = squash(unknown) === squash(k) ? 0 : distance(unknown.toLowerCase(), k);
    if (d < bestD) { bestD = d; best = k; }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}
