// The OTR engine's public surface.
export * from './api.ts';
export { OtrAccount, type OtrAccountOptions } from './account.ts';
export { OtrSession, ERROR_MALFORMED, ERROR_UNREADABLE } from './session.ts';
export { fingerprint, formatFingerprint, type DsaPrivateKey, type DsaPublicKey } from './dsa.ts';
export { generateDsaKey } from './keygen.ts';
export { policyFromBits, policyToBits } from './policy.ts';
export { generateInstanceTag, isValidInstanceTag, MIN_VALID_INSTANCE_TAG } from './instance-tags.ts';
export * from './keyfiles.ts';
export * from './key-store.ts';
