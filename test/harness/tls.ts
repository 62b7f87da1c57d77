// A throw-away self-signed certificate for loopback TLS (ngircd's SSL port, the bouncer's TLS listener).
import { execFileSync } from 'node:child_process';
import { readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate, to pin it as the only CA on the client side. */
  certPem: string;
}

/** Writes cert.pem / key.pem (CN=localhost, SAN 127.0.0.1 and localhost) into `dir` with openssl. */
export function makeSelfSignedCert(dir: string, name = 'localhost'): CertFiles {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=IP:127.0.0.1,DNS:${name}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  // ngircd drops to "nobody" after start; test keys are not secrets.
  chmodSync(certFile, 0o644);
  chmodSync(keyFile, 0o644);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}
