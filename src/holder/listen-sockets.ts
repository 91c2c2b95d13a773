import { spawnSync } from 'node:child_process';
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { parseListenAddress, portInUseError, type ListenAddress } from '../lib/listen-address.js';
import { loadLibc } from '../spawner/libc.js';

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

/** A listening socket the holder owns: its fd is passed to every process of the app. */
export interface ListenSocket {
  address: ListenAddress;
  fd: number;
  /** LISTEN_FDNAMES entry: the address with characters systemd does not allow replaced. */
  name: string;
  close(): void;
}

interface ServerHandle {
  fd: number;
  close(): void;
  getsockname?(out: { port?: number }): number;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => ServerHandle | number;

/**
 * Opens every `listen` address, bound and listening, without this process ever accepting on it.
 *
 * Why the detour: a Node server that listens also starts accepting in this process's event loop,
 * which would steal the app's connections. So the holder only creates and binds the sockets
 * (net's own `_createServerHandle`, which node:cluster uses for the same purpose: a bound,
 * unwatched handle), and a throw-away child calls listen(2) on inherited copies and exits before
 * its event loop ever polls. The listening state belongs to the socket, not to the fd, so the
 * holder's fds stay listening: connections wait in the backlog until a worker accepts them,
 * across restarts and reloads of the app.
 */
export function openListenSockets(addresses: readonly string[], backlog = 511): ListenSocket[] {
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const held: ListenSocket[] = [];
  try {
    for (const text of addresses) {
      const address = parseListenAddress(text);
      let handle: ServerHandle | number;
      if (address.kind === 'unix') {
        removeStaleSocket(address.path);
        handle = create(address.path, -1, -1);
      } else {
        const family = address.host === null ? 0 : net.isIP(address.host);
        const host = address.host === 'localhost' ? '127.0.0.1' : address.host;
        handle = create(host, address.port, family === 6 ? 6 : 4);
      }
      if (typeof handle === 'number') throw new Error(`cannot bind ${address.text}: ${errnoName(handle)}`);
      const h = handle;
      if (address.kind === 'tcp') {
        checkBound(h, address);
        noDelay(h.fd);
      }
      held.push({ address, fd: h.fd, name: address.text.replace(/[^A-Za-z0-9._-]/g, '_'), close: () => h.close() });
    }
    listenOnInherited(
      held.map((s) => s.fd),
      backlog,
    );
  } catch (err) {
    for (const s of held) s.close();
    throw err;
  }
  return held;
}

const LISTEN_SCRIPT = `
const net = require('node:net');
const n = Number(process.argv[1]);
let left = n;
for (let i = 0; i < n; i++) {
  const s = net.createServer();
  s.on('error', (e) => { process.stderr.write(String(e.message)); process.exit(1); });
  // 'listening' comes on the next tick, before the event loop polls: nothing is ever accepted here.
  s.listen({ fd: 3 + i, backlog: Number(process.argv[2]) }, () => { if (--left === 0) process.exit(0); });
}`;

function listenOnInherited(fds: number[], backlog: number): void {
  if (fds.length === 0) return;
  const r = spawnSync(process.execPath, ['-e', LISTEN_SCRIPT, String(fds.length), String(backlog)], {
    stdio: ['ignore', 'ignore', 'pipe', ...fds],
    timeout: 15_000,
  });
  if (r.status !== 0)
    throw new Error(`cannot listen on ${fds.length} socket(s): ${r.stderr?.toString().trim() || r.error?.message || `exit ${r.status}`}`);
}

/**
 * TCP_NODELAY on the listening socket: Linux copies it to every connection accepted from it.
 * An app handed fd 3 cannot always tell it is TCP (uvicorn `--fd` takes it as AF_UNIX and so
 * never sets TCP_NODELAY itself); with Nagle on, small keep-alive responses wait for delayed
 * ACKs (uvicorn ran at 0.08x its own-port speed). Best effort: without libc nothing changes.
 */
function noDelay(fd: number): void {
  loadLibc()?.setsockoptInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

/**
 * libuv keeps a TCP bind's EADDRINUSE for listen(2) and answers bind with success; listen on the
 * unbound socket would then pick a random port on every interface. So the bind is checked here:
 * the socket must have an address with a port (getsockname reports the kept error).
 */
function checkBound(h: ServerHandle, address: ListenAddress & { kind: 'tcp' }): void {
  const out: { port?: number } = {};
  const code = h.getsockname?.(out) ?? 0;
  if (code === 0 && out.port !== undefined && out.port !== 0) return;
  h.close();
  if (code === -98) throw portInUseError(address);
  throw new Error(`cannot bind ${address.text}: ${errnoName(code)}`);
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Missing: nothing to remove. Another kind of file: bind reports EADDRINUSE.
  }
}

function errnoName(code: number): string {
  const names: Record<number, string> = {
    [-98]: 'EADDRINUSE (address already in use)',
    [-13]: 'EACCES (permission denied)',
    [-99]: 'EADDRNOTAVAIL (address not available)',
  };
  return names[code] ?? `error ${code}`;
}
