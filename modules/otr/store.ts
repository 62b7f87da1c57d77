// Where the module's OTR account lives on disk: its storage directory holds libotr's files
// (otr.key, otr.fp, otr.instag), so keys and trusted fingerprints move to and from ZNC's otr
// module, irssi-otr and pidgin-otr unchanged.
import type { KnownFingerprint } from '../../src/otr/api.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';

export const KEY_FILE = 'otr.key';
export const FINGERPRINT_FILE = 'otr.fp';
export const INSTAG_FILE = 'otr.instag';

export interface OtrFiles {
  key?: DsaPrivateKey;
  fingerprints: KnownFingerprint[];
  instanceTag?: number;
  /** Files that exist but could not be used, one line each (shown to the user, never fatal). */
  problems: string[];
}

export interface OtrStore {
  load(): Promise<OtrFiles>;
  saveKey(key: DsaPrivateKey): Promise<void>;
  saveFingerprints(fps: readonly KnownFingerprint[]): Promise<void>;
  saveInstanceTag(tag: number): Promise<void>;
}
