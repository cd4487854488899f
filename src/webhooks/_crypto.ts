/** Raw webhook bytes as given: a string is taken as UTF-8. */
export function toBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key of a string secret, imported once (a server verifies every delivery with the same few). */
function hmacKey(secret: string | Uint8Array): Promise<CryptoKey> {
  const importKey = () =>
    crypto.subtle.importKey(
      'raw',
      toBytes(secret) as BufferSource,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  if (typeof secret !== 'string') return importKey();
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 16) keys.delete(keys.keys().next().value!);
    key = importKey();
    keys.set(secret, key);
    key.catch(() => keys.delete(secret));
  }
  return key;
}

/** HMAC-SHA256 of `message` with `secret`, as lower-case hex, through Web Crypto. */
export async function hmacSha256Hex(secret: string | Uint8Array, message: Uint8Array): Promise<string> {
  const key = await hmacKey(secret);
  return toHex(await crypto.subtle.sign('HMAC', key, message as BufferSource));
}

/** SHA-256 of `data`, as lower-case hex, through Web Crypto. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

function toHex(buffer: ArrayBuffer): string {
  let hex = '';
  for (const byte of new Uint8Array(buffer)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** `a + b` as one byte array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they differ.
 * Different lengths compare unequal (the length of a signature is not a secret).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
