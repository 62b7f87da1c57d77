// An OTR account (libotr: a private key + instance tag + known fingerprints in an OtrlUserState),
// the factory of sessions with its peers.
import type { FingerprintHex, KnownFingerprint, Policy, SessionHost, Trust } from './api.ts';
import { fingerprint, type DsaPrivateKey } from './dsa.ts';
import { generateInstanceTag, isValidInstanceTag } from './instance-tags.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { defaultQueryMessage } from './message.ts';
import { OtrSession } from './session.ts';

export interface OtrAccountOptions {
  name: string;
  protocol: string;
  policy?: Policy;
  privateKey?: DsaPrivateKey;
  instanceTag?: number;
  fingerprints?: KnownFingerprint[];
  /** Clock in ms (tests); Date.now by default. */
  now?: () => number;
  /** The query message text; libotr's default (which contains a newline) when absent. */
  queryMessage?: (accountName: string, policy: Policy) => string;
}

export class OtrAccount {
  readonly name: string;
  readonly protocol: string;
  readonly instanceTag: number;
  policy: Policy;
  onFingerprintsChanged?: () => void;
  readonly now: () => number;
  private key: DsaPrivateKey | undefined;
  private ownFp: FingerprintHex | undefined;
  private readonly known = new Map<string, KnownFingerprint>();
  private readonly sessions = new Set<OtrSession>();
  private readonly queryText: (accountName: string, policy: Policy) => string;

  constructor(opts: OtrAccountOptions) {
    this.name = opts.name;
    this.protocol = opts.protocol;
    this.policy = { ...(opts.policy ?? DEFAULT_POLICY) };
    if (opts.instanceTag !== undefined && !isValidInstanceTag(opts.instanceTag)) {
      throw new RangeError(`instance tag ${opts.instanceTag} is below 0x100 or not 32-bit`);
    }
    this.instanceTag = opts.instanceTag ?? generateInstanceTag();
    this.privateKey = opts.privateKey;
    for (const f of opts.fingerprints ?? []) this.known.set(keyOf(f.peer, f.fingerprint), { ...f, fingerprint: f.fingerprint.toUpperCase() });
    this.now = opts.now ?? Date.now;
    this.queryText = opts.queryMessage ?? defaultQueryMessage;
  }

  get privateKey(): DsaPrivateKey | undefined {
    return this.key;
  }

  /** May be set later (key generated on first need); the next AKE uses it. */
  set privateKey(key: DsaPrivateKey | undefined) {
    this.key = key;
    this.ownFp = key ? fingerprint(key) : undefined;
    if (key) for (const s of [...this.sessions]) s.privateKeyChanged();
  }

  /** Our own fingerprint, once we have a key. */
  get fingerprint(): FingerprintHex | undefined {
    return this.ownFp;
  }

  fingerprints(): KnownFingerprint[] {
    return [...this.known.values()].map((f) => ({ ...f }));
  }

  fingerprintsOf(peer: string): KnownFingerprint[] {
    return this.fingerprints().filter((f) => f.peer === peer);
  }

  trustOf(peer: string, fp: FingerprintHex): Trust | undefined {
    return this.known.get(keyOf(peer, fp))?.trust;
  }

  /** Records a fingerprint seen in an AKE; true when it was new. */
  addFingerprint(peer: string, fp: FingerprintHex): boolean {
    const k = keyOf(peer, fp);
    if (this.known.has(k)) return false;
    this.known.set(k, { peer, fingerprint: fp.toUpperCase(), trust: '' });
    this.onFingerprintsChanged?.();
    return true;
  }

  setTrust(peer: string, fp: FingerprintHex, trust: Trust): boolean {
    const f = this.known.get(keyOf(peer, fp));
    if (!f) return false;
    if (f.trust !== trust) {
      f.trust = trust;
      this.onFingerprintsChanged?.();
    }
    return true;
  }

  /** Forgets a fingerprint (not while it is in use: the caller checks). */
  removeFingerprint(peer: string, fp: FingerprintHex): boolean {
    const ok = this.known.delete(keyOf(peer, fp));
    if (ok) this.onFingerprintsChanged?.();
    return ok;
  }

  queryMessage(): string {
    return this.queryText(this.name, this.policy);
  }

  /** A session with `peer`; dispose() it when the conversation is gone (it is tracked until then). */
  createSession(peer: string, host: SessionHost): OtrSession {
    const s = new OtrSession(this, peer, host);
    this.sessions.add(s);
    return s;
  }

  /** Called by a disposed session. */
  forgetSession(s: OtrSession): void {
    this.sessions.delete(s);
  }
}

function keyOf(peer: string, fp: FingerprintHex): string {
  return `${peer}\u0000${fp.toUpperCase()}`;
}
