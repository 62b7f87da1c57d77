// The seam between a session and the Socialist Millionaires' Protocol engine (smp.ts, written alongside).
import type { SmpEvent, Tlv } from './api.ts';

/** What a session needs of smp.ts's Smp class. */
export interface SmpEngine {
  start(secret: Uint8Array, ourFp: Uint8Array, theirFp: Uint8Array, ssid: Uint8Array, question?: string): Tlv;
  respond(secret: Uint8Array, ourFp: Uint8Array, theirFp: Uint8Array, ssid: Uint8Array): Tlv;
  abort(): Tlv;
  handle(tlv: Tlv): { reply?: Tlv; events: SmpEvent[] };
  readonly awaitingSecret: boolean;
  readonly inProgress: boolean;
  reset(): void;
}

/** Set by smp.ts's integration; undefined until the SMP engine is available. */
export let createSmp: (() => SmpEngine) | undefined;

export function registerSmp(factory: () => SmpEngine): void {
  createSmp = factory;
}
