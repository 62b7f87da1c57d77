// The memory of the HMAC-SHA1 WebAssembly module (sha1-wasm.ts) and which part of it holds what.
// Data messages are built (data-message.ts) and decoded (message.ts) right in this memory, so the MAC
// runs over them without a copy; each HMAC key has a slot with its precomputed states.
//   [0, 256)            the module's scratch (sha1-wasm.ts)
//   [256, 1536)         INPUT: a copy of data (shorter than hmac-sha1.ts NATIVE_FROM) from outside the
//                       memory, zeroed after use
//   [1536, 16384)       SEAL: the outgoing data message being built
//   [16384, 57344)      DECODE: the incoming encoded message being read
//   [57344, 61440)      CTRS: AES-CTR counter blocks (not secret) for the key stream computed ahead
//   [61440, 65536)      KS: a copy of key stream that xor() applies to a long message, zeroed by it
//   [65536, …)          key slots, SLOT_SIZE bytes each; the memory grows by a page (callBegins) before
//                       they run out
import { SLOT_SIZE, instantiateSha1Wasm } from './sha1-wasm.ts';

export const sha1Wasm = instantiateSha1Wasm();

export const INPUT = 256;
export const INPUT_CAP = 1280;
export const SEAL = 1536;
export const SEAL_CAP = 16384 - SEAL;
export const DECODE = 16384;
export const DECODE_CAP = 57344 - DECODE;
export const CTRS = 57344;
export const CTRS_CAP = 4096;
export const KS = 61440;
export const KS_CAP = 4096;
const SLOTS_FROM = 65536;

/** The whole memory. Only allocSlot grows it (the module itself never does), and makes this view anew. */
let bytes = new Uint8Array(sha1Wasm.memory.buffer);
let buffer: ArrayBufferLike = bytes.buffer;

export function heap(): Uint8Array {
  return bytes;
}

/** True when `a` is a view of this memory (its byteOffset is then an address in it). */
export function inHeap(a: Uint8Array): boolean {
  return a.buffer === buffer;
}

const freeSlots: number[] = [];
let nextSlot = SLOTS_FROM;

/** Free slots kept ready by callBegins(): far more than the keys one session call derives (≤ 8). */
const RESERVE = 64;

let calls = 0;

/**
 * A session call begins (send, receive, SMP, finish…). The outermost one grows the memory first when fewer
 * than RESERVE slots are free: growing detaches every view of the memory (a message being read or built in
 * DECODE or SEAL, TLV values, counters), so it must never happen inside a call, where a key derived in the
 * middle of a message then finds its slot. Calls nest when an application calls a session from an event.
 */
export function callBegins(): void {
  if (calls++ === 0 && freeSlotCount() < RESERVE) grow();
}

export function callEnds(): void {
  calls--;
}

function grow(): void {
  sha1Wasm.memory.grow(1);
  bytes = new Uint8Array(sha1Wasm.memory.buffer);
  buffer = bytes.buffer;
}

/** A zeroed slot for one key. */
export function allocSlot(): number {
  const s = freeSlots.pop();
  if (s !== undefined) return s;
  // Only outside session calls (tests), or with more keys in one call than RESERVE.
  if (nextSlot + SLOT_SIZE > bytes.length) grow();
  const slot = nextSlot;
  nextSlot += SLOT_SIZE;
  return slot;
}

/** Slots that allocSlot can hand out without growing the memory. */
export function freeSlotCount(): number {
  return freeSlots.length + Math.floor((bytes.length - nextSlot) / SLOT_SIZE);
}

/** Zeroes a slot and makes it available again. */
export function freeSlot(slot: number): void {
  heap().fill(0, slot, slot + SLOT_SIZE);
  freeSlots.push(slot);
}

/** A Buffer over [at, at + cap) of the memory; make it anew when its length reads 0 (the memory grew). */
export function heapRegion(at: number, cap: number): Buffer {
  return Buffer.from(sha1Wasm.memory.buffer, at, cap);
}
