// Instance tags (spec "Instance Tags", OTR v3): 32-bit, values below 0x100 are reserved.
import { randomBytes } from './crypto/random.ts';

export const MIN_VALID_INSTANCE_TAG = 0x100;

export function isValidInstanceTag(tag: number): boolean {
  return Number.isInteger(tag) && tag >= MIN_VALID_INSTANCE_TAG && tag <= 0xffffffff;
}

export function generateInstanceTag(): number {
  for (;;) {
    const b = randomBytes(4);
    const tag = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (isValidInstanceTag(tag)) return tag;
  }
}
