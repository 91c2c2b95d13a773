import { join } from 'node:path';

/** A PTY app's attach socket: `TEND_HOME/pty/<id>.sock` (the directory is 0700, the socket 0600). */
export function ptySocketPath(home: string, id: number): string {
  return join(home, 'pty', `${id}.sock`);
}
