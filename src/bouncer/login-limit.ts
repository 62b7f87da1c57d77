// Per-address limit on failed logins, against password guessing. No timers: entries expire when read,
// and the table is pruned when it grows.

interface Entry {
  failures: number;
  first: number;
}

export class LoginLimiter {
  private table = new Map<string, Entry>();

  constructor(private readonly maxFailures: number, private readonly windowMs: number) {}

  blocked(addr: string, now = Date.now()): boolean {
    const e = this.table.get(addr);
    if (!e) return false;
    if (now - e.first > this.windowMs) {
      this.table.delete(addr);
      return false;
    }
    return e.failures >= this.maxFailures;
  }

  failure(addr: string, now = Date.now()): void {
    const e = this.table.get(addr);
    if (!e || now - e.first > this.windowMs) this.table.set(addr, { failures: 1, first: now });
    else e.failures++;
    if (this.table.size > 10_000) {
      for (const [k, v] of this.table) if (now - v.first > this.windowMs) this.table.delete(k);
    }
  }

  success(addr: string): void {
    this.table.delete(addr);
  }
}
