// Per-network ring buffer of messages that arrived while no client was attached. Memory only; allocated
// on first use so an idle network costs nothing. Lines are stored as Buffers (compact, and they do not pin
// the socket chunk a sliced string would).

export interface PlaybackEntry {
  time: number;
  /** The line without tags, e.g. `:nick!u@h PRIVMSG #chan :text`. */
  line: string;
}

export class Playback {
  private lines: (Buffer | undefined)[] | null = null;
  private times: Float64Array | null = null;
  private head = 0;
  private count = 0;

  constructor(private capacity: number) {}

  get size(): number {
    return this.count;
  }

  push(time: number, line: string): void {
    if (this.capacity <= 0) return;
    if (!this.lines) {
      this.lines = new Array(this.capacity);
      this.times = new Float64Array(this.capacity);
    }
    const idx = (this.head + this.count) % this.capacity;
    this.lines[idx] = Buffer.from(line, 'utf8');
    this.times![idx] = time;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
  }

  /** Everything buffered, oldest first; the buffer is emptied and its memory released. */
  drain(): PlaybackEntry[] {
    const out: PlaybackEntry[] = [];
    if (!this.lines) return out;
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) % this.capacity;
      out.push({ time: this.times![idx]!, line: this.lines[idx]!.toString('utf8') });
    }
    this.lines = null;
    this.times = null;
    this.head = 0;
    this.count = 0;
    return out;
  }
}
