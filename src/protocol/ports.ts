/** A listening socket of an app's process tree (TCP in LISTEN, or a bound UDP socket with no peer). */
export interface ListenPort {
  proto: 'tcp' | 'udp';
  /** `0.0.0.0` / `::` for every address. */
  address: string;
  port: number;
}

/**
 * An app's listening ports for a table cell: `3000`, `53/udp`, `127.0.0.1:9000` (the address
 * only when it is not every address); shared by list, monit and the dashboard.
 */
export function formatPorts(ports: readonly ListenPort[] | null | undefined): string {
  const any = new Set(['0.0.0.0', '::']);
  const words = (ports ?? []).map(
    (p) =>
      `${any.has(p.address) ? '' : p.address.includes(':') ? `[${p.address}]:` : `${p.address}:`}${p.port}${p.proto === 'udp' ? '/udp' : ''}`,
  );
  return [...new Set(words)].join(',');
}
