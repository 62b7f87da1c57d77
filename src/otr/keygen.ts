// DSA key generation (1024-bit p, 160-bit q) off the event loop: node:crypto generates in
// libuv's thread pool, so the caller never stalls. The PKCS#8 DER result is unpacked here.
import { generateKeyPair } from 'node:crypto';
import { bytesToBigint } from './crypto/bigint.ts';
import { modPow } from './crypto/modexp.ts';
import type { DsaPrivateKey } from './dsa.ts';

export function generateDsaKey(): Promise<DsaPrivateKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'dsa',
      { modulusLength: 1024, divisorLength: 160, privateKeyEncoding: { type: 'pkcs8', format: 'der' }, publicKeyEncoding: { type: 'spki', format: 'der' } },
      (err, _pub, priv) => {
        if (err) return reject(err);
        try {
          resolve(dsaKeyFromPkcs8(new Uint8Array(priv)));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

/** PrivateKeyInfo { version, AlgorithmIdentifier { oid, Dss-Parms { p, q, g } }, OCTET STRING { INTEGER x } } */
export function dsaKeyFromPkcs8(der: Uint8Array): DsaPrivateKey {
  const top = readTlv(der, 0, 0x30);
  let pos = top.start;
  pos = readTlv(der, pos, 0x02).end; // version
  const alg = readTlv(der, pos, 0x30);
  let ap = readTlv(der, alg.start, 0x06).end; // OID
  const params = readTlv(der, ap, 0x30);
  const p = readTlv(der, params.start, 0x02);
  const q = readTlv(der, p.end, 0x02);
  const g = readTlv(der, q.end, 0x02);
  const octets = readTlv(der, alg.end, 0x04);
  const x = readTlv(der, octets.start, 0x02);
  const num = (t: Tlv) => bytesToBigint(der.subarray(t.start, t.end));
  const key = { p: num(p), q: num(q), g: num(g), x: num(x), y: 0n };
  key.y = modPow(key.g, key.x, key.p);
  return key;
}

interface Tlv {
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, pos: number, tag: number): Tlv {
  if (der[pos] !== tag) throw new Error(`DER: expected tag 0x${tag.toString(16)} at ${pos}`);
  let len = der[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[start + i]!;
    start += n;
  }
  if (start + len > der.length) throw new Error('DER: truncated');
  return { start, end: start + len };
}
