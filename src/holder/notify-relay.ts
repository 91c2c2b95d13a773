import { unlinkSync } from 'node:fs';
import { errnoName, loadLibc, libcUnavailableReason, type Libc } from '../spawner/libc.js';

/**
 * systemd's readiness protocol for any language: the app sends `READY=1` as a datagram to the
 * AF_UNIX socket named by NOTIFY_SOCKET (`systemd-notify --ready`, python `sdnotify`). Node has
 * no AF_UNIX datagram sockets and libuv will not wrap one, so the holder binds it through libc
 * (koffi, as the spawner does) with O_ASYNC: the kernel sends the holder SIGIO when a datagram
 * arrives, and a SIGIO listener drains every relay without blocking. No interpreter, no thread,
 * no polling. One socket per process tells the holder which process spoke without
 * SCM_CREDENTIALS; fds passed along (systemd-notify's BARRIER=1) are closed by the kernel
 * because they are read with recv().
 */

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const F_SETOWN = 8;
const O_NONBLOCK = 0o4000;
const O_ASYNC = 0o20000;
/** sockaddr_un: sa_family_t then 108 bytes of path, NUL included. */
const SUN_PATH_MAX = 107;

export interface NotifyRelay {
  path: string;
  close(): void;
}

interface Open {
  fd: number;
  onMessage: (line: string) => void;
}

const open = new Map<number, Open>();
const buf = Buffer.alloc(65536);
let listening = false;

function drain(libc: Libc, relay: Open): void {
  for (;;) {
    const n = libc.recv(relay.fd, buf, buf.length, 0);
    if (n < 0) return; // EAGAIN: nothing more; anything else: the next SIGIO tries again
    for (const line of buf.subarray(0, n).toString('utf8').split('\n')) if (line !== '') relay.onMessage(line);
    if (!open.has(relay.fd)) return; // closed by its own message handler
  }
}

function drainAll(libc: Libc): void {
  for (const relay of [...open.values()]) if (open.has(relay.fd)) drain(libc, relay);
}

/** Binds the socket, then calls `onMessage` for each line (`READY=1`, `STATUS=…`). Resolves once bound. */
export function startNotifyRelay(path: string, onMessage: (line: string) => void): Promise<NotifyRelay> {
  try {
    return Promise.resolve(bindRelay(path, onMessage));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

function bindRelay(path: string, onMessage: (line: string) => void): NotifyRelay {
  const libc = loadLibc();
  if (libc === null) throw new Error(`cannot bind the NOTIFY_SOCKET relay: libc is not usable here (${libcUnavailableReason()})`);
  const bytes = Buffer.byteLength(path);
  if (bytes > SUN_PATH_MAX)
    throw new Error(`cannot bind the NOTIFY_SOCKET relay: ${path} is longer than ${SUN_PATH_MAX} bytes; use a shorter TEND_HOME`);
  const fail = (what: string, fd: number): never => {
    const code = errnoName(libc.errno());
    if (fd >= 0) libc.close(fd);
    throw new Error(`cannot bind the NOTIFY_SOCKET relay ${path}: ${what}: ${code}`);
  };
  // Once a listener exists it stays: a SIGIO still queued after the last relay closed must not
  // meet the default action (which ends the process).
  if (!listening) {
    process.on('SIGIO', () => drainAll(libc));
    listening = true;
  }
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail('socket', fd);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX + 1);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2, 'utf8');
  if (libc.bind(fd, addr, 2 + bytes + 1) !== 0) fail('bind', fd);
  if (libc.fcntlInt(fd, F_SETOWN, process.pid) !== 0) fail('F_SETOWN', fd);
  if (libc.fcntlInt(fd, F_SETFL, O_NONBLOCK | O_ASYNC) !== 0) fail('O_ASYNC', fd);
  const relay: Open = { fd, onMessage };
  open.set(fd, relay);
  drain(libc, relay);
  let closed = false;
  return {
    path,
    close: () => {
      if (closed) return;
      closed = true;
      open.delete(fd);
      libc.close(fd);
      try {
        unlinkSync(path);
      } catch {
        /* gone */
      }
    },
  };
}

/** How many relays are bound (for tests: each one is closed once its process is ready or gone). */
export function openRelayCount(): number {
  return open.size;
}
