// Outgoing flood limit towards a network: a token bucket of `burst` lines refilled at `rate` lines/s.
// No timer exists while the queue is empty; rate 0 turns the limit off.

export class FloodLimiter {
  private tokens: number;
  private last = Date.now();
  private queue: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly write: (line: string) => void,
    private readonly maxQueue = 2000,
  ) {
    this.tokens = Math.max(1, burst);
  }

  get off(): boolean {
    return this.rate <= 0;
  }

  /** Returns false when the line was dropped because the queue is full. */
  send(line: string): boolean {
    if (this.rate <= 0) {
      this.write(line);
      return true;
    }
    if (this.queue.length === 0) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.write(line);
        return true;
      }
    }
    if (this.queue.length >= this.maxQueue) return false;
    this.queue.push(line);
    this.schedule();
    return true;
  }

  /** Bypasses the limit (PONG, QUIT). */
  sendNow(line: string): void {
    this.write(line);
  }

  /** Send everything queued now (before QUIT: lines a module sent on shutdown must not be lost). */
  flushAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const q = this.queue;
    this.queue = [];
    for (const l of q) this.write(l);
  }

  clear(): void {
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tokens = Math.max(1, this.burst);
    this.last = Date.now();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Nothing queued and the bucket full again: a fresh limiter would behave the same, so this one may go. */
  settled(): boolean {
    if (this.queue.length > 0 || this.timer) return false;
    this.refill();
    return this.tokens >= Math.max(1, this.burst);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refill();
      while (this.queue.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.write(this.queue.shift()!);
      }
      if (this.queue.length > 0) this.schedule();
    }, wait);
  }
}
