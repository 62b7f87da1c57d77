// Hashes and MACs used by OTR, from @noble/hashes.
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';

export const sha1 = (data: Uint8Array): Uint8Array => nobleSha1(data);
export const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);
export const hmacSha1 = (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(nobleSha1, key, data);
export const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(nobleSha256, key, data);
/** HMAC-SHA256 truncated to 160 bits (the AKE's MAC). */
export const hmacSha256_160 = (key: Uint8Array, data: Uint8Array): Uint8Array => hmacSha256(key, data).subarray(0, 20);
