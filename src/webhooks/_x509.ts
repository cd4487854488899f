/** One DER element: where its content starts and ends, and where the whole element does. */
interface DerElement {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/**
 * Reads the DER element at `offset`, checking every length against `limit`. Only single-byte tags
 * and definite lengths of up to four bytes occur in certificates; anything else throws.
 */
function readElement(bytes: Uint8Array, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) throw new Error('truncated DER');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('unsupported DER tag');
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: offset, contentStart, end };
}

const sequence = 0x30;
const explicitVersion = 0xa0;

/**
 * The DER `SubjectPublicKeyInfo` of an X.509 certificate (DER bytes), ready for
 * `crypto.subtle.importKey('spki', …)`: Certificate → tbsCertificate → [version], serialNumber,
 * signature, issuer, validity, subject, **subjectPublicKeyInfo**. Throws on anything malformed.
 */
export function subjectPublicKeyInfo(certificate: Uint8Array): Uint8Array {
  const outer = readElement(certificate, 0, certificate.length);
  if (outer.tag !== sequence || outer.end !== certificate.length) throw new Error('not a certificate');
  const tbs = readElement(certificate, outer.contentStart, outer.end);
  if (tbs.tag !== sequence) throw new Error('not a certificate');
  let field = readElement(certificate, tbs.contentStart, tbs.end);
  if (field.tag === explicitVersion) field = readElement(certificate, field.end, tbs.end);
  // serialNumber, signature, issuer, validity and subject come before the key.
  for (let skip = 0; skip < 5; skip++) field = readElement(certificate, field.end, tbs.end);
  if (field.tag !== sequence) throw new Error('not a certificate');
  return certificate.slice(field.start, field.end);
}

/** The DER bytes of the first `CERTIFICATE` block of a PEM text; throws when there is none. */
export function pemCertificateToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (match === null) throw new Error('no PEM certificate');
  return base64ToBytes(match[1]!.replace(/\s+/g, ''));
}

/** Decodes standard base64 (padding optional); throws on any other character. */
export function base64ToBytes(base64: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) throw new Error('bad base64');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
