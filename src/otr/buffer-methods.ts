// Node's per-encoding Buffer methods: what toString() and write() call once they have checked their
// arguments and looked up the encoding by name. The per-message path calls them directly: less to run
// before V8 optimizes it, and less for the optimizing compiler to inline (they exist on every Buffer
// since Node 0.x; only undeclared in @types/node).
export interface EncodingMethods {
  utf8Slice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
  base64Write(text: string, offset: number, length: number): number;
}

/** The Buffer's encoding methods (the same object, typed). */
export function methods(b: Buffer): EncodingMethods {
  return b as unknown as EncodingMethods;
}
