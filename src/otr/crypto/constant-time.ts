// Comparison whose running time does not depend on where the inputs differ (MACs, passwords).
import { timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Overwrite secret material in place once it is no longer needed. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
