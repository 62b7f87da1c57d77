// The `info` table: Peer | State | Fingerprint | Act | Trust, one row per known fingerprint,
// drawn with cli-table3 in plain ASCII (no colours, no box-drawing characters) so that every
// row is one IRC line that any client shows aligned in a monospace font.
import Table from 'cli-table3';
import { formatFingerprint } from '../../src/otr/dsa.ts';
import type { MessageState } from '../../src/otr/api.ts';
import { T } from './texts.ts';
import { ASCII_BORDERS } from '../../src/bouncer/table.ts';

export interface InfoPeer {
  nick: string;
  state: MessageState;
  /** The fingerprint in use, when encrypted. */
  active?: string;
  fingerprints: { fingerprint: string; trust: string }[];
}

/** Longest cell text for free-form columns, so a row always fits one IRC line. */
export const MAX_PEER_CHARS = 40;
export const MAX_TRUST_CHARS = 20;

export function trustName(trust: string): string {
  if (trust === '') return T.trustNames.none;
  if (trust === 'smp') return T.trustNames.smp;
  if (trust === 'verified' || trust === 'manual') return T.trustNames.manual;
  return clip(trust, MAX_TRUST_CHARS);
}

function clip(s: string, max: number): string {
  // Control characters would break the table or the IRC line.
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length <= max ? clean : clean.slice(0, max - 3) + '...';
}

export function renderInfo(peers: readonly InfoPeer[], ownFingerprintLine: string): string[] {
  const sorted = [...peers].filter((p) => p.fingerprints.length > 0).sort((a, b) => a.nick.localeCompare(b.nick));
  if (sorted.length === 0) return [T.infoNoFingerprints, ownFingerprintLine];
  const table = new Table({
    head: ['Peer', 'State', 'Fingerprint', 'Act', 'Trust'],
    chars: ASCII_BORDERS,
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
  });
  for (const p of sorted) {
    // The active fingerprint first, then the rest in a stable order.
    const fps = [...p.fingerprints].sort((a, b) =>
      a.fingerprint === p.active ? -1 : b.fingerprint === p.active ? 1 : a.fingerprint.localeCompare(b.fingerprint));
    fps.forEach((f, i) => {
      const act = p.state === 'encrypted' && f.fingerprint === p.active ? '*' : '';
      table.push([
        i === 0 ? clip(p.nick, MAX_PEER_CHARS) : '',
        i === 0 ? p.state : '',
        formatFingerprint(f.fingerprint),
        { content: act, hAlign: 'center' },
        trustName(f.trust),
      ]);
    });
  }
  return [...table.toString().split('\n'), ownFingerprintLine];
}
