import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Random bytes read from /dev/urandom, without loading node:crypto (which costs the daemon ~1 MB
 * RSS: it needs random bytes for its lock id and the dashboard token, nothing else of crypto).
 */
export function kernelRandom(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let off = 0;
    while (off < bytes) off += readSync(fd, buf, off, bytes - off, null);
  } finally {
    closeSync(fd);
  }
  return buf;
}
