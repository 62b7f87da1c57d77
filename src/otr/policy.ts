// Policies as libotr's bit flags and back, and the questions the session asks of a policy.
import type { Policy } from './api.ts';
import { POLICY_OPPORTUNISTIC } from './api.ts';

export const OTRL_POLICY_ALLOW_V2 = 0x02;
export const OTRL_POLICY_ALLOW_V3 = 0x04;
export const OTRL_POLICY_REQUIRE_ENCRYPTION = 0x08;
export const OTRL_POLICY_SEND_WHITESPACE_TAG = 0x10;
export const OTRL_POLICY_WHITESPACE_START_AKE = 0x20;
export const OTRL_POLICY_ERROR_START_AKE = 0x40;

export function policyToBits(p: Policy): number {
  return (
    (p.allowV2 ? OTRL_POLICY_ALLOW_V2 : 0) |
    (p.allowV3 ? OTRL_POLICY_ALLOW_V3 : 0) |
    (p.requireEncryption ? OTRL_POLICY_REQUIRE_ENCRYPTION : 0) |
    (p.sendWhitespaceTag ? OTRL_POLICY_SEND_WHITESPACE_TAG : 0) |
    (p.whitespaceStartAke ? OTRL_POLICY_WHITESPACE_START_AKE : 0) |
    (p.errorStartAke ? OTRL_POLICY_ERROR_START_AKE : 0)
  );
}

export function policyFromBits(bits: number): Policy {
  return {
    allowV2: (bits & OTRL_POLICY_ALLOW_V2) !== 0,
    allowV3: (bits & OTRL_POLICY_ALLOW_V3) !== 0,
    requireEncryption: (bits & OTRL_POLICY_REQUIRE_ENCRYPTION) !== 0,
    sendWhitespaceTag: (bits & OTRL_POLICY_SEND_WHITESPACE_TAG) !== 0,
    whitespaceStartAke: (bits & OTRL_POLICY_WHITESPACE_START_AKE) !== 0,
    errorStartAke: (bits & OTRL_POLICY_ERROR_START_AKE) !== 0,
  };
}

/** OTR is off entirely when no version is allowed (libotr: OTRL_POLICY_NEVER). */
export function otrEnabled(p: Policy): boolean {
  return p.allowV2 || p.allowV3;
}

export function versionAllowed(p: Policy, version: number): boolean {
  return (version === 2 && p.allowV2) || (version === 3 && p.allowV3);
}

export const DEFAULT_POLICY: Readonly<Policy> = POLICY_OPPORTUNISTIC;
