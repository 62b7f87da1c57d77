// Splits a byte stream into lines: one UTF-8 decode per chunk, not per line.
import { isUtf8 } from 'node:buffer';

export interface LineSink {
  /** Called for each complete line (CR/LF removed, never empty). `now` is the chunk's arrival time. */
  line(line: string, now: number): void;
  /** A line longer than the limit was dropped. */
  tooLong?(): void;
  /** A line with invalid UTF-8 or NUL was dropped. */
  badLine?(reason: string): void;
  /** Handling a line threw: a bug, logged; the connection and the process go on. */
  lineError(e: unknown, line: string): void;
}

export class LineReader {
  private rest: Buffer | null = null;
  private discarding = false;

  constructor(private readonly sink: LineSink, private readonly maxLine: number, private readonly strict: boolean) {}

  push(chunk: Buffer): void {
    const now = Date.now();
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) {
      this.keep(buf);
      return;
    }
    let start = 0;
    if (this.discarding) {
      start = buf.indexOf(10) + 1;
      this.discarding = false;
      this.sink.tooLong?.();
    }
    if (lastNl + 1 < buf.length) this.keep(buf.subarray(lastNl + 1));
    if (start > lastNl) return;
    const whole = buf.subarray(start, lastNl + 1);
    if (this.strict && (!isUtf8(whole) || whole.indexOf(0) >= 0)) {
      this.slowPath(whole, now);
      return;
    }
    this.emitLines(whole.toString('utf8'), now);
  }

  private keep(buf: Buffer): void {
    if (buf.length > this.maxLine) {
      this.discarding = true;
      this.rest = null;
      return;
    }
    // Copy: a subarray would pin the whole chunk, and an upstream chunk is a view of the read buffer that
    // the next read of any network overwrites (upstream.ts).
    this.rest = Buffer.from(buf);
  }

  private emitLines(text: string, now: number): void {
    const sink = this.sink;
    const max = this.maxLine;
    let s = 0;
    const len = text.length;
    while (s < len) {
      const nl = text.indexOf('\n', s);
      if (nl < 0) break;
      let e = nl;
      if (e > s && text.charCodeAt(e - 1) === 13) e--;
      if (e > s) {
        if (e - s > max) sink.tooLong?.();
        else {
          const line = text.slice(s, e);
          try {
            sink.line(line, now);
          } catch (err) {
            sink.lineError(err, line);
          }
        }
      }
      s = nl + 1;
    }
  }

  /** Line by line, dropping the lines that are not valid UTF-8 or carry NUL. */
  private slowPath(buf: Buffer, now: number): void {
    let s = 0;
    while (s < buf.length) {
      const nl = buf.indexOf(10, s);
      if (nl < 0) break;
      const one = buf.subarray(s, nl + 1);
      if (one.indexOf(0) >= 0) this.sink.badLine?.('NUL byte');
      else if (!isUtf8(one)) this.sink.badLine?.('invalid UTF-8');
      else this.emitLines(one.toString('utf8'), now);
      s = nl + 1;
    }
  }
}
