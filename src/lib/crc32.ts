import { createRequire } from 'node:module';

/**
 * CRC-32 (IEEE 802.3, the polynomial zlib and PNG use): a checksum that tells a record cut short
 * or torn from a whole one. zlib's (Node ≥ 20.15), required at the first checksum rather than at
 * start (see test/unit/bundle-lazy.test.ts): the daemon runs without a JIT, where the table loop
 * below took ~0.4 µs a byte, 1–2 ms for each journal record of a spawn (~0.5 s of a 300-app
 * start); zlib's takes ~3 µs for the same record, for ~0.2 MB RSS once loaded.
 */
type NativeCrc32 = (data: Uint8Array, value?: number) => number;

let native: NativeCrc32 | null | undefined;

function nativeCrc32(): NativeCrc32 | null {
  if (native === undefined) {
    const zlib = createRequire(import.meta.url)('node:zlib') as { crc32?: NativeCrc32 };
    native = typeof zlib.crc32 === 'function' ? zlib.crc32 : null;
  }
  return native;
}

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
  const fast = nativeCrc32();
  if (fast !== null) {
    let value = 0;
    for (const part of parts) value = fast(part, value);
    return value >>> 0;
  }
  return tableCrc32(parts);
}

/** The same in plain JS, for a Node without zlib.crc32 (20.0–20.14). */
export function tableCrc32(parts: readonly Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) crc = (TABLE[(crc ^ (part[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
