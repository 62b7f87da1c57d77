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
//   [65536, …)          key slots, SLOT_SIZE bytes each, and key-stream blocks, BLOCK_SIZE bytes each (an
//                       AES key's stream computed ahead); the memory grows (callBegins) before they run out
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
const freeBlocks: number[] = [];
/** Where the next slot or block comes from when no freed one is left. */
let nextSlot = SLOTS_FROM;

/** A key-stream block: AES-CTR key stream of one key, computed ahead (aes.ts). */
export const BLOCK_SIZE = 4096;

/** Free slots and blocks kept ready by callBegins(): far more than one session call derives (≤ 8 MAC keys, ≤ 4 AES keys). */
const RESERVE = 64;
const BLOCK_RESERVE = 8;

let calls = 0;

/**
 * A session call begins (send, receive, SMP, finish…). The outermost one grows the memory first when fewer
 * than RESERVE slots or BLOCK_RESERVE blocks are free: growing detaches every view of the memory (a message
 * being read or built in DECODE or SEAL, TLV values, counters), so it must never happen inside a call,
 * where a key derived in the middle of a message then finds its slot. Calls nest when an application
 * calls a session from an event.
 */
export function callBegins(): void {
  if (calls++ !== 0) return;
  const missing = missingBytes();
  if (missing > 0) grow(missing);
}

export function callEnds(): void {
  calls--;
}

/** Bytes past the end of the memory that the reserve of slots and blocks would need. */
function missingBytes(): number {
  const need = Math.max(0, RESERVE - freeSlots.length) * SLOT_SIZE + Math.max(0, BLOCK_RESERVE - freeBlocks.length) * BLOCK_SIZE;
  return need - (bytes.length - nextSlot);
}

function grow(bytesNeeded: number): void {
  sha1Wasm.memory.grow(Math.max(1, Math.ceil(bytesNeeded / 65536)));
  bytes = new Uint8Array(sha1Wasm.memory.buffer);
  buffer = bytes.buffer;
}

/** `size` bytes from the end of what slots and blocks use, growing the memory if needed. */
function take(size: number): number {
  // Only outside session calls (tests), or with more keys in one call than the reserve.
  if (nextSlot + size > bytes.length) grow(nextSlot + size - bytes.length);
  const at = nextSlot;
  nextSlot += size;
  return at;
}

/** A zeroed slot for one key. */
export function allocSlot(): number {
  return freeSlots.pop() ?? take(SLOT_SIZE);
}

/** Slots that allocSlot can hand out without growing the memory. */
export function freeSlotCount(): number {
  return freeSlots.length + Math.floor((bytes.length - nextSlot) / SLOT_SIZE);
}

/** A zeroed key-stream block. */
export function allocBlock(): number {
  return freeBlocks.pop() ?? take(BLOCK_SIZE);
}

/** Blocks that allocBlock can hand out without growing the memory. */
export function freeBlockCount(): number {
  return freeBlocks.length + Math.floor((bytes.length - nextSlot) / BLOCK_SIZE);
}

/** Zeroes a block and makes it available again. */
export function freeBlock(block: number): void {
  heap().fill(0, block, block + BLOCK_SIZE);
  freeBlocks.push(block);
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
