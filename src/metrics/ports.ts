import { netAddress, parseNetRows, readNetRows, socketFds, type NetRow } from '../procfs/net.js';
import type { ListenPort } from '../protocol/ports.js';

/** TCP_LISTEN; for UDP, TCP_CLOSE is a bound socket with no peer (a server's). */
const LISTEN_STATE: Record<ListenPort['proto'], string> = { tcp: '0A', udp: '07' };

const listenPort = (r: NetRow): ListenPort => ({ proto: r.proto, address: netAddress(r.localHex, r.v6), port: r.localPort });
const isListening = (r: NetRow): boolean => r.state === LISTEN_STATE[r.proto] && r.inode !== 0 && r.localPort > 0;

/** Listening sockets of one table's text, by socket inode. */
export function parseNetTable(text: string, proto: ListenPort['proto'], v6: boolean): Map<number, ListenPort> {
  return new Map(
    parseNetRows(text, proto, v6)
      .filter(isListening)
      .map((r) => [r.inode, listenPort(r)]),
  );
}

/** Every listening socket of the machine's tables, by inode. */
function readListening(): Map<number, ListenPort> {
  return new Map(
    readNetRows(['tcp', 'udp'])
      .filter(isListening)
      .map((r) => [r.inode, listenPort(r)]),
  );
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
        for (const { inode } of socketFds(w.pid)) {
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
