// Public types of the OTR engine. The engine knows nothing of IRC, sockets or the bouncer:
// the application hands it wire strings and plaintext, and gets back wire strings (through
// SessionHost.inject), plaintext and typed events. See docs/ARCHITECTURE.md.

export type OtrVersion = 2 | 3;

/** libotr's policy bits, as booleans. */
export interface Policy {
  allowV2: boolean;
  allowV3: boolean;
  requireEncryption: boolean;
  sendWhitespaceTag: boolean;
  whitespaceStartAke: boolean;
  errorStartAke: boolean;
}

/** libotr's OTRL_POLICY_DEFAULT (opportunistic). */
export const POLICY_OPPORTUNISTIC: Readonly<Policy> = Object.freeze({
  allowV2: true,
  allowV3: true,
  requireEncryption: false,
  sendWhitespaceTag: true,
  whitespaceStartAke: true,
  errorStartAke: true,
});

/** libotr's OTRL_POLICY_ALWAYS. */
export const POLICY_ALWAYS: Readonly<Policy> = Object.freeze({
  ...POLICY_OPPORTUNISTIC,
  requireEncryption: true,
});

/** A TLV carried inside a data message (type 0 padding, 1 disconnected, 2–7 SMP, 8 extra symmetric key). */
export interface Tlv {
  type: number;
  value: Uint8Array;
}

export type MessageState = 'plaintext' | 'encrypted' | 'finished';

/** 40 upper-case hex digits (SHA-1 of the public key). Display form: formatFingerprint(). */
export type FingerprintHex = string;

/**
 * Trust as libotr stores it: free text, empty = not trusted. libotr and pidgin-otr write
 * "smp" after a successful SMP and "verified" for manual trust; we do the same.
 */
export type Trust = string;

export interface KnownFingerprint {
  /** Peer name (IRC nick as first seen, casemapped by the application if it wants). */
  peer: string;
  fingerprint: FingerprintHex;
  trust: Trust;
}

export type SmpEvent =
  | { type: 'smp_asked'; question?: string }
  | { type: 'smp_progress'; step: 'replied' | 'responded' }
  /**
   * `fingerprint` is the peer's (smp.ts leaves it '' and the session fills it in). `updatesTrust` says
   * whether libotr would record the outcome as trust ("smp" on success, "" on failure): always for the
   * initiator, and for the responder only when no question was asked.
   */
  | { type: 'smp_success'; fingerprint: FingerprintHex; updatesTrust?: boolean }
  /** trustDropped: the fingerprint had trust, and the failure took it away (libotr's rule). */
  | { type: 'smp_failure'; updatesTrust?: boolean; trustDropped?: boolean }
  | { type: 'smp_cheated' }
  /** wasUnderWay (an abort from the peer): false when no SMP was under way, e.g. python-potr's abort after a failure. */
  | { type: 'smp_aborted'; byPeer: boolean; wasUnderWay?: boolean }
  | { type: 'smp_error'; reason: string };

/** Everything the engine tells the application, as typed values (the engine never logs or prints). */
export type OtrEvent =
  | SmpEvent
  | {
      type: 'gone_secure';
      fingerprint: FingerprintHex;
      trusted: boolean;
      version: OtrVersion;
      /** Peer instance tag (v3), 0 for v2. */
      instance: number;
    }
  | { type: 'still_secure'; fingerprint: FingerprintHex; trusted: boolean; restartedByUs: boolean }
  | { type: 'gone_insecure'; reason: 'we_finished' | 'peer_finished' | 'peer_disconnected' }
  | { type: 'new_fingerprint'; fingerprint: FingerprintHex }
  | { type: 'received_unencrypted'; text: string }
  | { type: 'unreadable' }
  | { type: 'error_from_peer'; message: string }
  | { type: 'message_for_other_instance' }
  | { type: 'malformed'; detail: string }
  | { type: 'refused'; reason: 'finished' | 'no_session' | 'fingerprint_changed' }
  | { type: 'queued_sent'; count: number }
  | { type: 'queued_dropped'; count: number; reason: 'fingerprint_mismatch' | 'finished' }
  | { type: 'no_private_key' }
  | { type: 'heartbeat_sent' }
  /** TLV 8: the peer uses the current extra symmetric key for `use` (libotr's received_symkey). */
  | { type: 'received_symkey'; use: number; useData: Uint8Array; key: Uint8Array };

/** What the application provides to a session. */
export interface SessionHost {
  /** Send one wire line to the peer (already fragmented to maxMessageSize()). */
  inject(wire: string): void;
  /** Deliver an event about this session. */
  event(event: OtrEvent): void;
  /** Largest wire line in bytes for this peer now; 0 = no limit (no fragmentation). */
  maxMessageSize(): number;
}

/** Result of giving the engine one incoming wire line. */
export type ReceiveResult =
  /** Something for the user to see. `encrypted` is false for plaintext (with any whitespace tag removed). */
  | { kind: 'message'; text: string; encrypted: boolean; tlvs?: Tlv[] }
  /** Consumed by the protocol (AKE, SMP, heartbeat, fragment, query, error): nothing to show. */
  | { kind: 'internal' };

/** Result of asking the engine to send plaintext. */
export type SendResult =
  /** Encrypted (or plaintext, as policy allows) and injected. */
  | { kind: 'sent'; encrypted: boolean }
  /** Kept until the AKE completes, then sent only to the same authenticated fingerprint. */
  | { kind: 'queued' }
  /** Not sent at all; never reaches the wire. */
  | { kind: 'refused'; reason: 'finished' | 'no_session' | 'fingerprint_changed' };
