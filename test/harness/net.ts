// Loopback helpers shared by the harness: free ports and "does it accept connections yet".
import { createServer, connect } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago: bind port 0 on loopback, read the port, close. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port from listen(0)'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** One connection attempt: true when the port accepted it (the socket is closed again at once). */
export function tryConnect(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/**
 * Resolves once `port` accepts a TCP connection. Each refused attempt is an event (ECONNREFUSED);
 * the next attempt follows it after a short pause so a starting daemon is not hammered.
 * `gaveUp()` lets the caller abort early (the process it waits for has exited).
 */
export async function waitForPort(
  port: number,
  opts: { host?: string; timeoutMs?: number; gaveUp?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let pause = 5;
  for (;;) {
    const reason = opts.gaveUp?.();
    if (reason !== undefined) throw new Error(reason);
    if (await tryConnect(port, opts.host)) return;
    if (Date.now() > deadline) throw new Error(`port ${opts.host ?? LOOPBACK}:${port} did not accept connections in time`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 100);
  }
}
