import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { ListenPort } from '../protocol/model.js';

/** The kernel's socket tables, per protocol (the daemon's network namespace). */
const TABLES: ReadonlyArray<{ file: string; proto: ListenPort['proto']; v6: boolean }> = [
  { file: '/proc/net/tcp', proto: 'tcp', v6: false },
  { file: '/proc/net/tcp6', proto: 'tcp', v6: true },
  { file: '/proc/net/udp', proto: 'udp', v6: false },
  { file: '/proc/net/udp6', proto: 'udp', v6: true },
];
/** TCP_LISTEN; for UDP, TCP_CLOSE is a bound socket with no peer (a server's). */
const LISTEN_STATE: Record<ListenPort['proto'], string> = { tcp: '0A', udp: '07' };

/** Hex address of /proc/net/*: 32-bit words in host (little-endian) order. */
function parseAddress(hex: string, v6: boolean): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (!v6) return bytes.join('.');
  // ::ffff:a.b.c.d (a v4 address on a v6 socket) and the usual shortened form.
  if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 255 && bytes[11] === 255) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16));
  // The longest run of two or more zero groups becomes `::` (RFC 5952).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at === -1) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Listening sockets of one table's text, by socket inode. */
export function parseNetTable(text: string, proto: ListenPort['proto'], v6: boolean): Map<number, ListenPort> {
  const out = new Map<number, ListenPort>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN_STATE[proto]) continue;
    const [addr, port] = (f[1] ?? '').split(':');
    const inode = Number(f[9]);
    const portNo = parseInt(port ?? '', 16);
    if (addr === undefined || !Number.isInteger(inode) || inode === 0 || !(portNo > 0)) continue;
    out.set(inode, { proto, address: parseAddress(addr, v6), port: portNo });
  }
  return out;
}

function readListening(): Map<number, ListenPort> {
  const all = new Map<number, ListenPort>();
  for (const t of TABLES) {
    let text: string;
    try {
      text = readFileSync(t.file, 'latin1');
    } catch {
      continue;
    }
    for (const [inode, p] of parseNetTable(text, t.proto, t.v6)) all.set(inode, p);
  }
  return all;
}

/** The fds of a process that are sockets, with their inodes (its /proc/PID/fd links `socket:[N]`); empty when unreadable. */
export function socketFds(pid: number): Array<{ fd: number; inode: number }> {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: Array<{ fd: number; inode: number }> = [];
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (link.startsWith('socket:[')) out.push({ fd: Number(fd), inode: Number(link.slice(8, -1)) });
  }
  return out;
}

/** The socket inodes a process holds open; empty when unreadable. */
export function socketInodes(pid: number): number[] {
  return socketFds(pid).map((s) => s.inode);
}

/** The listening TCP sockets one process holds, by its fd numbers (one fd per socket). */
export function listeningTcpFds(pid: number): Array<{ fd: number; port: ListenPort }> {
  const listening = readListening();
  const seen = new Set<number>();
  const out: Array<{ fd: number; port: ListenPort }> = [];
  for (const { fd, inode } of socketFds(pid)) {
    const port = listening.get(inode);
    if (port?.proto !== 'tcp' || seen.has(inode)) continue;
    seen.add(inode);
    out.push({ fd, port });
  }
  return out;
}

/** Sorted by port, then protocol, then address; one entry per (proto, address, port). */
function tidy(ports: ListenPort[]): ListenPort[] {
  const seen = new Map<string, ListenPort>();
  for (const p of ports) seen.set(`${p.proto} ${p.address} ${p.port}`, p);
  return [...seen.values()].sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto) || a.address.localeCompare(b.address));
}

/** An app's process tree as the sampler last saw it. */
export interface PortScanApp {
  id: number;
  /** The main pid the figures belong to (a new run does not show the old run's ports). */
  pid: number;
  pids: number[];
}

/** Processes whose fds are read per event-loop turn (each costs a readdir and a readlink per fd). */
const PROCESSES_PER_SLICE = 50;

/**
 * Listening TCP/UDP ports per app, over its whole process tree (workers and holders included):
 * the socket inodes each process holds, matched against the kernel's listening sockets. Read over
 * several event-loop turns, as the sampler reads /proc, and never more than one scan at a time.
 */
export class PortScanner {
  private found = new Map<number, { pid: number; ports: ListenPort[] }>();
  private scanning = false;

  constructor(private readonly perSlice = PROCESSES_PER_SLICE) {}

  /** Starts a scan of these apps (ignored while one is under way); `done` when it is over, told whether any app's ports changed. */
  scan(apps: readonly PortScanApp[], done: (changed: boolean) => void = () => undefined): void {
    if (this.scanning) return;
    this.scanning = true;
    const listening = readListening();
    const work = apps.flatMap((a) => a.pids.map((pid) => ({ app: a, pid })));
    const byApp = new Map<number, ListenPort[]>(apps.map((a) => [a.id, []]));
    let at = 0;
    const slice = (): void => {
      const end = Math.min(work.length, at + this.perSlice);
      for (; at < end; at += 1) {
        const w = work[at] as { app: PortScanApp; pid: number };
        for (const inode of socketInodes(w.pid)) {
          const p = listening.get(inode);
          if (p !== undefined) byApp.get(w.app.id)?.push(p);
        }
      }
      if (at < work.length) {
        setImmediate(slice);
        return;
      }
      const before = this.found;
      this.found = new Map(apps.map((a) => [a.id, { pid: a.pid, ports: tidy(byApp.get(a.id) ?? []) }]));
      const changed =
        before.size !== this.found.size || [...this.found].some(([id, f]) => JSON.stringify(before.get(id)) !== JSON.stringify(f));
      this.scanning = false;
      done(changed);
    };
    slice();
  }

  /** The app's listening ports at the last scan; null when its current run was not scanned yet. */
  ports(id: number, pid: number | null): ListenPort[] | null {
    const f = this.found.get(id);
    return f === undefined || pid === null || f.pid !== pid ? null : f.ports;
  }
}
