import { LicenseKitError } from '../../domain/errors.js';
import { fromBase64, toBase64, utf8 } from './_shared.js';

// PayPal's signing scheme with Web Crypto only: PKCS#8 key import and a minimal self-signed X.509.

/** RSASSA-PKCS1-v1_5 with SHA-256, the algorithm PayPal signs with. */
export const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** Imports a PKCS#8 PEM RSA private key for signing; throws `INVALID_INPUT` on anything else. */
export async function importPkcs8(pem: string): Promise<CryptoKey> {
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (match === null) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'paypalWebhookRequest: privateKey must be a CryptoKey or a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----); convert an RSA PEM with `openssl pkcs8 -topk8 -nocrypt`',
    );
  }
  return crypto.subtle.importKey('pkcs8', fromBase64(match[1]!.replace(/\s+/g, '')), rsa, false, ['sign']);
}

/** One DER element: `tag`, the definite length, then the concatenated `parts`. */
function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((total, part) => total + part.length, 0);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | octets.length, ...octets];
  const element = new Uint8Array(header.length + length);
  element.set(header);
  let offset = header.length;
  for (const part of parts) {
    element.set(part, offset);
    offset += part.length;
  }
  return element;
}

const bytes = (...values: number[]) => new Uint8Array(values);
/** AlgorithmIdentifier sha256WithRSAEncryption (1.2.840.113549.1.1.11) with NULL parameters. */
const sha256WithRsa = der(
  0x30,
  bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
  bytes(0x05, 0x00),
);

/** An X.509 v3 certificate for `keys.publicKey`, issued by itself, valid 2000–2049, as PEM. */
export async function selfSignedCertificate(keys: CryptoKeyPair): Promise<string> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const commonName = der(0x0c, utf8('licensekit PayPal test'));
  const name = der(0x30, der(0x31, der(0x30, bytes(0x06, 0x03, 0x55, 0x04, 0x03), commonName)));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x3f) | 0x40; // positive, minimal, non-zero
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, bytes(0x02))),
    der(0x02, serial),
    sha256WithRsa,
    name,
    der(0x30, der(0x17, utf8('000101000000Z')), der(0x17, utf8('491231235959Z'))),
    name,
    spki,
  );
  const signature = new Uint8Array(await crypto.subtle.sign(rsa, keys.privateKey, tbs as BufferSource));
  const certificate = der(0x30, tbs, sha256WithRsa, der(0x03, bytes(0x00), signature));
  const lines = toBase64(certificate).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
