/** The CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) lookup table, one entry per byte value. */
const table = (() => {
  const entries = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    entries[n] = c >>> 0;
  }
  return entries;
})();

/**
 * CRC-32 of `bytes` as an unsigned integer (0 … 2³² − 1), the checksum zlib, Java's `CRC32` and
 * PayPal's webhook signature use: `crc32(utf8('123456789')) === 0xcbf43926`.
 */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
