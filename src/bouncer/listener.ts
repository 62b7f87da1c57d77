// Plain and TLS listeners for clients.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { ListenConfig } from '../config/types.ts';

export function listen(cfg: ListenConfig, onClient: (s: Socket) => void): Promise<Server> {
  let server: Server;
  if (cfg.tls) {
    if (!cfg.cert || !cfg.key) throw new Error(`listener ${cfg.host}:${cfg.port}: tls needs cert and key`);
    server = createTlsServer({ cert: readFileSync(cfg.cert), key: readFileSync(cfg.key) }, onClient);
    server.on('tlsClientError', () => {});
  } else {
    server = createTcpServer(onClient);
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      server.on('error', () => {});
      resolve(server);
    });
  });
}
