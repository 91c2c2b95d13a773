import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6, this process's network namespace)
 * and the sockets a process holds (/proc/PID/fd): read here, interpreted by their users (the
 * listening ports of `tend ports`, the connections a holder hands over).
 */

export type NetProto = 'tcp' | 'udp';

/** One row of a socket table. */
export interface NetRow {
  proto: NetProto;
  v6: boolean;
  /** The local address as the kernel writes it: hex, 32-bit words in host order (see netAddress). */
  localHex: string;
  localPort: number;
  /** The kernel's state code in hex: `0A` TCP_LISTEN, `01` TCP_ESTABLISHED, `07` TCP_CLOSE. */
  state: string;
  inode: number;
}

/** The rows of one table's text (its header line skipped, malformed rows passed over). */
export function parseNetRows(text: string, proto: NetProto, v6: boolean): NetRow[] {
  const out: NetRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [localHex, port] = (f[1] ?? '').split(':');
    const inode = Number(f[9]);
    if (localHex === undefined || port === undefined || !Number.isInteger(inode)) continue;
    out.push({ proto, v6, localHex, localPort: parseInt(port, 16), state: f[3] ?? '', inode });
  }
  return out;
}

/** Every row of the tables of these protocols, IPv4 and IPv6; a table that cannot be read gives none. */
export function readNetRows(protos: readonly NetProto[]): NetRow[] {
  const out: NetRow[] = [];
  for (const proto of protos) {
    for (const v6 of [false, true]) {
      let text: string;
      try {
        text = readFileSync(`/proc/net/${proto}${v6 ? '6' : ''}`, 'latin1');
      } catch {
        continue;
      }
      out.push(...parseNetRows(text, proto, v6));
    }
  }
  return out;
}

/** A table's hex address as text: `127.0.0.1`, `::1`, `::ffff:10.0.0.1` (RFC 5952's short form). */
export function netAddress(hex: string, v6: boolean): string {
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

/** The fds of a process that are sockets (its /proc/PID/fd links `socket:[N]`), with their inodes; empty when unreadable. */
export function socketFds(pid: number): Array<{ fd: number; inode: number }> {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: Array<{ fd: number; inode: number }> = [];
  for (const name of names) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] !== undefined) out.push({ fd: Number(name), inode: Number(m[1]) });
  }
  return out;
}
