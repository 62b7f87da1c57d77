// Nick and channel name comparison following the network's CASEMAPPING ISUPPORT token.
import type { Casemapping } from '../modules/api.ts';

export type CasemappingName = 'rfc1459' | 'strict-rfc1459' | 'ascii';

function makeLower(upperEnd: number): (s: string) => string {
  // ascii: A-Z; strict-rfc1459 adds []\ ; rfc1459 adds ^ too (the upper case of ~).
  return (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 65 && c <= upperEnd) {
        // Only allocate when something changes.
        let r = s.slice(0, i);
        for (let j = i; j < s.length; j++) {
          const d = s.charCodeAt(j);
          r += d >= 65 && d <= upperEnd ? String.fromCharCode(d + 32) : s[j];
        }
        return r;
      }
    }
    return s;
  };
}

const LOWERS: Record<CasemappingName, (s: string) => string> = {
  ascii: makeLower(90),
  'strict-rfc1459': makeLower(93),
  rfc1459: makeLower(94),
};

const cache = new Map<string, Casemapping>();

export function casemapping(name: string | undefined): Casemapping {
  const key = (name && name in LOWERS ? name : 'rfc1459') as CasemappingName;
  let cm = cache.get(key);
  if (!cm) {
    const lower = LOWERS[key];
    cm = { lower, equal: (a, b) => a === b || lower(a) === lower(b) };
    cache.set(key, cm);
  }
  return cm;
}
