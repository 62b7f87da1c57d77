// A scriptable IRC server for what ngircd cannot do (SASL, going silent): every line a connection sends is
// kept; `onLine` decides what to answer.
import { createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from '../harness/net.ts';

export interface FakeConn {
  socket: Socket;
  lines: string[];
  send(line: string): void;
}

export interface FakeServer {
  port: number;
  conns: FakeConn[];
  waitForLine(pred: (line: string, conn: FakeConn) => boolean, timeoutMs?: number): Promise<FakeConn>;
  close(): Promise<void>;
}

export async function startFakeServer(onLine: (conn: FakeConn, line: string) => void): Promise<FakeServer> {
  const conns: FakeConn[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((socket) => {
    const conn: FakeConn = { socket, lines: [], send: (l) => socket.write(l + '\r\n') };
    conns.push(conn);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        conn.lines.push(line);
        onLine(conn, line);
        for (const w of [...waiters]) w();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  return {
    port: (server.address() as { port: number }).port,
    conns,
    waitForLine(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const c of conns) for (const l of c.lines) if (pred(l, c)) { finish(); resolve(c); return; }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`fake server: no matching line within ${timeoutMs} ms; saw:\n${conns.map((c) => c.lines.join('\n')).join('\n--\n')}`));
        }, timeoutMs);
        const finish = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Answers registration like a minimal server: CAP LS with `caps`, 001–005 and 422 after NICK+USER. */
export function welcome(conn: FakeConn, nick: string): void {
  conn.send(`:fake.test 001 ${nick} :Welcome ${nick}!id@host.test`);
  conn.send(`:fake.test 002 ${nick} :Your host is fake.test`);
  conn.send(`:fake.test 003 ${nick} :Created today`);
  conn.send(`:fake.test 004 ${nick} fake.test fake-1 io ov`);
  conn.send(`:fake.test 005 ${nick} CASEMAPPING=rfc1459 CHANTYPES=# :are supported by this server`);
  conn.send(`:fake.test 422 ${nick} :MOTD File is missing`);
}
