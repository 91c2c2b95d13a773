/**
 * CRC-32 (IEEE 802.3, the polynomial zlib and PNG use): a checksum that tells a record cut short
 * or torn from a whole one. Computed here rather than with node:crypto or node:zlib so the daemon
 * loads neither at start (see test/unit/bundle-lazy.test.ts).
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of the buffers, in order (as if concatenated). */
export function crc32(...parts: readonly Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) crc = (TABLE[(crc ^ (part[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
