// A self-signed certificate for loopback TLS in tests (ngircd's SSL port, the bouncer's TLS listener).
// The fixture in test/fixtures/tls is copied, so a fresh machine needs no openssl binary.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate, to pin it as the only CA on the client side. */
  certPem: string;
}

const FIXTURE = new URL('../fixtures/tls/', import.meta.url);

/** Writes cert.pem / key.pem (CN=localhost, SAN 127.0.0.1 and localhost) into `dir`. */
export function makeSelfSignedCert(dir: string): CertFiles {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const certPem = readFileSync(new URL('cert.pem', FIXTURE), 'utf8');
  // ngircd drops to "nobody" after start and must still read them; test keys are not secrets.
  writeFileSync(certFile, certPem, { mode: 0o644 });
  writeFileSync(keyFile, readFileSync(new URL('key.pem', FIXTURE)), { mode: 0o644 });
  return { certFile, keyFile, certPem };
}
