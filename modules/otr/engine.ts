// What the module uses of the OTR engine (src/otr/index.ts), as structural types, so the glue
// can be read and tested against exactly this surface.
import type { KnownFingerprint, MessageState, Policy, ReceiveResult, SendResult, SessionHost, FingerprintHex, Trust } from '../../src/otr/api.ts';
import type { DsaPrivateKey } from '../../src/otr/dsa.ts';

export interface EngineSession {
  send(text: string): SendResult;
  receive(wire: string): ReceiveResult;
  startAke(): void;
  finish(): void;
  smpStart(secret: string, question?: string): void;
  smpRespond(secret: string): void;
  smpAbort(): void;
  readonly state: MessageState;
  readonly activeFingerprint: string | undefined;
  readonly smpPending: { question?: string } | undefined;
  readonly smpInProgress: boolean;
  tick(nowMs: number): void;
  dispose(): void;
}

export interface EngineAccount {
  readonly instanceTag: number;
  policy: Policy;
  privateKey: DsaPrivateKey | undefined;
  fingerprints(): KnownFingerprint[];
  setTrust(peer: string, fp: FingerprintHex, trust: Trust): boolean;
  onFingerprintsChanged?: () => void;
  createSession(peer: string, host: SessionHost): EngineSession;
}

export interface AccountOptions {
  name: string;
  protocol: string;
  policy?: Policy;
  privateKey?: DsaPrivateKey;
  instanceTag?: number;
  fingerprints?: KnownFingerprint[];
  /** The query message text (one IRC line). */
  queryMessage?: (accountName: string, policy: Policy) => string;
}

export type AccountFactory = (opts: AccountOptions) => EngineAccount;
