import { fstatSync, writeSync } from 'node:fs';

/**
 * Writes CLI output straight to fd 1 or 2. Touching process.stdout loads Node's whole streams
 * stack (about 20 internal modules, ~2 ms per command); a CLI printing one answer needs none of it.
 * A non-blocking pipe that is full (EAGAIN) falls back to the stream, which waits for room.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  const data = Buffer.from(text, 'utf8');
  let offset = 0;
  try {
    while (offset < data.length) offset += writeSync(fd, data, offset);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw err;
    (fd === 1 ? process.stdout : process.stderr).write(data.subarray(offset));
  }
}

/**
 * Whether fd 1 is a terminal, without node:tty (which loads node:net and the streams stack):
 * a character device whose major number is a terminal's (4 = VT/serial, 5 = /dev/tty and ptmx,
 * 136–143 = pseudo-terminals). Only used to decide on colours.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    const major = Math.floor(st.rdev / 256) & 0xfff;
    return major === 4 || major === 5 || (major >= 136 && major <= 143);
  } catch {
    return false;
  }
}
