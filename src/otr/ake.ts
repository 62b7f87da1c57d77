// The authenticated key exchange (spec "Authenticated Key Exchange"), one instance per peer instance,
// in both roles: the commit sender ("Bob": DH-Commit, Reveal Signature) and the responder ("Alice":
// DH-Key, Signature), with the spec's state machine, collision rule and retransmissions as libotr does.
import type { FingerprintHex, OtrVersion } from './api.ts';
import { aes128Ctr, counterBlock } from './crypto/aes.ts';
import { constantTimeEqual, wipe } from './crypto/constant-time.ts';
import { hmacSha256, hmacSha256_160, sha256 } from './crypto/hash.ts';
import { randomBytes } from './crypto/random.ts';
import { deriveAkeKeys, generateKeyPair, isValidPublic, sharedSecret, wipeAkeKeys, type AkeKeys, type DhKeyPair } from './dh.ts';
import { encodePublicKey, fingerprint, readPublicKey, sign, verify, type DsaPrivateKey, type DsaPublicKey } from './dsa.ts';
import { MSG_DH_COMMIT, MSG_DH_KEY, MSG_REVEAL_SIG, MSG_SIGNATURE, encodeOtrMessage, type Header } from './message.ts';
import { Reader, Writer } from './serial.ts';

export type AuthState = 'none' | 'awaiting_dhkey' | 'awaiting_revealsig' | 'awaiting_sig';

/** What a finished AKE hands to the session. */
export interface AkeResult {
  version: OtrVersion;
  ourDh: DhKeyPair;
  ourKeyid: number;
  theirPub: bigint;
  theirKeyid: number;
  theirLongTermKey: DsaPublicKey;
  fingerprint: FingerprintHex;
  fingerprintBytes: Uint8Array;
  ssid: Uint8Array;
  /** Which half of the ssid the UI shows bold: the commit sender (got the Signature) shows the first. */
  ssidHalf: 'first' | 'second';
  /** True when we sent the DH-Commit. */
  weCommitted: boolean;
}

export type AkeOutcome =
  /** Message for the peer (retransmission included), possibly with a finished AKE. */
  | { reply?: string; result?: AkeResult }
  | { error: string };

interface SavedCommit {
  version: OtrVersion;
  ourDh: DhKeyPair;
  r: Uint8Array;
  encGx: Uint8Array;
  hashGx: Uint8Array;
  lastMessage: string;
}

export class AkeError extends Error {
  override name = 'AkeError';
}

const MAX_EARLIER_COMMITS = 4;

function mpiBytes(n: bigint): Uint8Array {
  return new Writer(200).mpi(n).bytes();
}

export class Ake {
  state: AuthState = 'none';
  version: OtrVersion = 3;
  /** The last AKE message we sent, for retransmission. */
  lastMessage: string | undefined;
  private ourDh: DhKeyPair | undefined;
  private r: Uint8Array | undefined;
  private encGx: Uint8Array | undefined; // ours (as committer) or theirs (as responder)
  private hashGx: Uint8Array | undefined;
  private theirPub: bigint | undefined;
  private keys: AkeKeys | undefined;
  private saved: SavedCommit | undefined;
  /**
   * Responder: commitments the peer replaced while we waited for its Reveal Signature, all answered
   * with the same g^y. libotr re-committing on a repeated query can still reveal an earlier r (its
   * master and instance contexts disagree); any commitment made before we revealed g^y binds the peer
   * just as well, so a Reveal Signature that opens one of them is accepted.
   */
  private earlierCommits: { encGx: Uint8Array; hashGx: Uint8Array }[] = [];

  /** ourTag/theirTag are read when a message is built (v3 headers). */
  constructor(
    private readonly tags: { ourTag(): number; theirTag(): number },
  ) {}

  /** Copy the commit-sender state (libotr's otrl_auth_copy_on_key) for a peer instance answering our commit. */
  copyFrom(other: Ake): void {
    this.clear();
    this.state = other.state;
    this.version = other.version;
    // A literal like generateKeyPair's (a spread copy has another hidden class, and V8 then deoptimized
    // the data path built on the keypairs of rotations when this one was first used).
    this.ourDh = other.ourDh && { priv: other.ourDh.priv, pub: other.ourDh.pub };
    this.r = other.r?.slice();
    this.encGx = other.encGx?.slice();
    this.hashGx = other.hashGx?.slice();
    this.lastMessage = other.lastMessage;
  }

  /** Our hashed g^x when we are waiting for a DH-Key (for the collision rule against a master commit). */
  get ourHashGx(): Uint8Array | undefined {
    return this.state === 'awaiting_dhkey' ? this.hashGx : undefined;
  }

  clear(): void {
    this.state = 'none';
    if (this.saved) wipe(this.saved.r, this.saved.encGx, this.saved.hashGx);
    this.saved = undefined;
    for (const c of this.earlierCommits) wipe(c.encGx, c.hashGx);
    this.earlierCommits = [];
    wipe(this.r, this.encGx, this.hashGx);
    wipeAkeKeys(this.keys);
    this.ourDh = undefined;
    this.r = this.encGx = this.hashGx = undefined;
    this.theirPub = undefined;
    this.keys = undefined;
    this.lastMessage = undefined;
  }

  private header(type: number): Writer {
    const w = new Writer(700).short(this.version).byte(type);
    if (this.version === 3) w.int(this.tags.ourTag()).int(this.tags.theirTag());
    return w;
  }

  /** Start as commit sender: a fresh g^x, DH-Commit out, AWAITING_DHKEY. */
  start(version: OtrVersion): string {
    this.clear();
    this.version = version;
    this.ourDh = generateKeyPair();
    this.r = randomBytes(16);
    const gx = mpiBytes(this.ourDh.pub);
    this.hashGx = sha256(gx);
    this.encGx = aes128Ctr(this.r, counterBlock(), gx);
    this.state = 'awaiting_dhkey';
    this.lastMessage = this.commitMessage();
    return this.lastMessage;
  }

  private commitMessage(): string {
    return encodeOtrMessage(this.header(MSG_DH_COMMIT).data(this.encGx!).data(this.hashGx!).bytes());
  }

  private keyMessage(): string {
    return encodeOtrMessage(this.header(MSG_DH_KEY).mpi(this.ourDh!.pub).bytes());
  }

  /** `isMaster`: this AKE is not bound to a peer instance yet; `masterHash`: our pending commit's hash, if any. */
  handleCommit(bytes: Uint8Array, h: Header, masterHash?: Uint8Array): AkeOutcome {
    const r = new Reader(bytes.subarray(h.bodyOffset));
    const encGx = r.data().slice();
    const hashGx = r.data().slice();
    r.end();
    if (hashGx.length !== 32) return { error: 'DH-Commit: hashed g^x is not 32 bytes' };
    const ours = this.state === 'awaiting_dhkey' ? this.hashGx : masterHash;
    if (ours && compareBytes(ours, hashGx) > 0) {
      // Ours wins: ignore theirs and resend our commit.
      if (this.state === 'awaiting_dhkey') return { reply: this.lastMessage };
      return {};
    }
    if (this.state === 'awaiting_revealsig') {
      // Keep our g^y, take their new commitment, resend our DH-Key.
      this.earlierCommits.push({ encGx: this.encGx!, hashGx: this.hashGx! });
      if (this.earlierCommits.length > MAX_EARLIER_COMMITS) {
        const dropped = this.earlierCommits.shift()!;
        wipe(dropped.encGx, dropped.hashGx);
      }
      this.encGx = encGx;
      this.hashGx = hashGx;
      this.version = h.version;
      this.lastMessage = this.keyMessage();
      return { reply: this.lastMessage };
    }
    // Theirs wins a collision: keep our commit aside in case the peer took ours anyway (libotr 4.1.1
    // always answers a commit in its master context, so a v2 libotr peer sends a DH-Key for our commit).
    const saved: SavedCommit | undefined =
      this.state === 'awaiting_dhkey'
        ? { version: this.version, ourDh: this.ourDh!, r: this.r!, encGx: this.encGx!, hashGx: this.hashGx!, lastMessage: this.lastMessage! }
        : undefined;
    this.r = this.encGx = this.hashGx = undefined;
    this.clear();
    this.saved = saved;
    this.version = h.version;
    this.ourDh = generateKeyPair();
    this.encGx = encGx;
    this.hashGx = hashGx;
    this.state = 'awaiting_revealsig';
    this.lastMessage = this.keyMessage();
    return { reply: this.lastMessage };
  }

  handleKey(bytes: Uint8Array, h: Header, ourKey: DsaPrivateKey | undefined): AkeOutcome {
    const r = new Reader(bytes.subarray(h.bodyOffset));
    const gy = r.mpi();
    r.end();
    if (this.state === 'awaiting_revealsig' && this.saved?.version === h.version) {
      // The peer answered the commit we set aside in a collision: continue as the committer.
      const sv = this.saved;
      this.saved = undefined;
      wipe(this.encGx, this.hashGx);
      this.state = 'awaiting_dhkey';
      this.version = sv.version;
      this.ourDh = sv.ourDh;
      this.r = sv.r;
      this.encGx = sv.encGx;
      this.hashGx = sv.hashGx;
      this.lastMessage = sv.lastMessage;
    }
    if (this.state === 'awaiting_dhkey') {
      if (h.version !== this.version) return {};
      if (!isValidPublic(gy)) return { error: 'DH-Key: g^y out of range' };
      if (!ourKey) return { error: 'no private key' };
      this.theirPub = gy;
      this.keys = deriveAkeKeys(sharedSecret(this.ourDh!, gy));
      const x = this.pubkeyAuth(ourKey, this.keys.m1, this.keys.c, this.ourDh!.pub, gy);
      const w = this.header(MSG_REVEAL_SIG).data(this.r!);
      const macStart = w.bytes().length;
      w.data(x);
      const all = w.bytes();
      w.raw(hmacSha256_160(this.keys.m2, all.subarray(macStart)));
      this.state = 'awaiting_sig';
      this.lastMessage = encodeOtrMessage(w.bytes());
      return { reply: this.lastMessage };
    }
    if (this.state === 'awaiting_sig' && this.theirPub === gy) return { reply: this.lastMessage };
    return {};
  }

  handleRevealSig(bytes: Uint8Array, h: Header, ourKey: DsaPrivateKey | undefined): AkeOutcome {
    const r = new Reader(bytes.subarray(h.bodyOffset));
    const rKey = r.data();
    const sigStart = r.offset;
    const encSig = r.data();
    const sigEnd = r.offset;
    const mac = r.raw(20, 'MAC');
    r.end();
    if (this.state !== 'awaiting_revealsig') return {};
    if (rKey.length !== 16) return { error: 'Reveal Signature: r is not 16 bytes' };
    if (!ourKey) return { error: 'no private key' };
    const gxBytes = this.openCommitment(rKey);
    if (!gxBytes) return { error: 'Reveal Signature: g^x does not match its commitment' };
    const gr = new Reader(gxBytes);
    const gx = gr.mpi();
    gr.end();
    if (!isValidPublic(gx)) return { error: 'Reveal Signature: g^x out of range' };
    const keys = deriveAkeKeys(sharedSecret(this.ourDh!, gx));
    const body = bytes.subarray(h.bodyOffset);
    if (!constantTimeEqual(hmacSha256_160(keys.m2, body.subarray(sigStart, sigEnd)), mac)) {
      wipeAkeKeys(keys);
      return { error: 'Reveal Signature: bad MAC' };
    }
    const checked = this.checkPubkeyAuth(encSig, keys.m1, keys.c, this.ourDh!.pub, gx);
    if ('error' in checked) {
      wipeAkeKeys(keys);
      return checked;
    }
    this.keys = keys;
    this.theirPub = gx;
    const x = this.pubkeyAuth(ourKey, keys.m1Prime, keys.cPrime, this.ourDh!.pub, gx);
    const w = this.header(MSG_SIGNATURE);
    const macStart = w.bytes().length;
    w.data(x);
    w.raw(hmacSha256_160(keys.m2Prime, w.bytes().subarray(macStart)));
    const reply = encodeOtrMessage(w.bytes());
    const result = this.result(checked, 'second', false);
    this.forget();
    return { reply, result };
  }

  /** g^x from the newest commitment that `rKey` opens, or undefined. */
  private openCommitment(rKey: Uint8Array): Uint8Array | undefined {
    const commits = [{ encGx: this.encGx!, hashGx: this.hashGx! }, ...[...this.earlierCommits].reverse()];
    for (const c of commits) {
      const gx = aes128Ctr(rKey, counterBlock(), c.encGx);
      if (constantTimeEqual(sha256(gx), c.hashGx)) return gx;
    }
    return undefined;
  }

  handleSignature(bytes: Uint8Array, h: Header): AkeOutcome {
    const r = new Reader(bytes.subarray(h.bodyOffset));
    const sigStart = r.offset;
    const encSig = r.data();
    const sigEnd = r.offset;
    const mac = r.raw(20, 'MAC');
    r.end();
    if (this.state !== 'awaiting_sig') return {};
    const keys = this.keys!;
    const body = bytes.subarray(h.bodyOffset);
    if (!constantTimeEqual(hmacSha256_160(keys.m2Prime, body.subarray(sigStart, sigEnd)), mac)) {
      return { error: 'Signature: bad MAC' };
    }
    const checked = this.checkPubkeyAuth(encSig, keys.m1Prime, keys.cPrime, this.ourDh!.pub, this.theirPub!);
    if ('error' in checked) return checked;
    const result = this.result(checked, 'first', true);
    this.forget();
    return { result };
  }

  private result(
    checked: { key: DsaPublicKey; keyid: number; fpBytes: Uint8Array },
    ssidHalf: 'first' | 'second',
    weCommitted: boolean,
  ): AkeResult {
    return {
      version: this.version,
      ourDh: this.ourDh!,
      ourKeyid: 1,
      theirPub: this.theirPub!,
      theirKeyid: checked.keyid,
      theirLongTermKey: checked.key,
      fingerprint: fingerprint(checked.key),
      fingerprintBytes: checked.fpBytes,
      ssid: this.keys!.ssid.slice(),
      ssidHalf,
      weCommitted,
    };
  }

  /** After success: drop the AKE secrets (the DH keypair now belongs to the session). */
  private forget(): void {
    this.ourDh = undefined;
    this.clear();
  }

  /** X = pub, keyid, sig(MAC_m(our g, their g, pub, keyid)), encrypted with c (spec's X_B / X_A). */
  private pubkeyAuth(key: DsaPrivateKey, m: Uint8Array, c: Uint8Array, ourPub: bigint, theirPub: bigint): Uint8Array {
    const pub = encodePublicKey(key);
    const keyid = 1;
    const macInput = new Writer(1000).mpi(ourPub).mpi(theirPub).raw(pub).int(keyid).bytes();
    const sig = sign(key, hmacSha256(m, macInput));
    const x = new Writer(500).raw(pub).int(keyid).raw(sig).bytes();
    return aes128Ctr(c, counterBlock(), x);
  }

  private checkPubkeyAuth(
    enc: Uint8Array,
    m: Uint8Array,
    c: Uint8Array,
    ourPub: bigint,
    theirPub: bigint,
  ): { key: DsaPublicKey; keyid: number; fpBytes: Uint8Array } | { error: string } {
    try {
      const x = aes128Ctr(c, counterBlock(), enc);
      const r = new Reader(x);
      const pubStart = r.offset;
      const key = readPublicKey(r);
      const pubBytes = x.subarray(pubStart, r.offset);
      const keyid = r.int();
      const sig = r.rest();
      if (keyid === 0) return { error: 'AKE: key id 0' };
      const macInput = new Writer(1000).mpi(theirPub).mpi(ourPub).raw(pubBytes).int(keyid).bytes();
      if (!verify(key, hmacSha256(m, macInput), sig)) return { error: 'AKE: bad signature' };
      const fpBytes = Uint8Array.from(Buffer.from(fingerprint(key), 'hex'));
      return { key, keyid, fpBytes };
    } catch (e) {
      return { error: `AKE: ${(e as Error).message}` };
    }
  }
}

/** Compares as 32-byte unsigned big-endian integers (libotr: memcmp). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
