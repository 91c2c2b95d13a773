import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { renderTable } from '../render/table.js';
import { warnProblems } from '../render/problems.js';
import { readStatusSnapshot } from '../status-snapshot.js';
import type { ProcessInfo } from '../../protocol/process-info.js';

const PORTS_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const ports: Command = {
  options: PORTS_OPTIONS,
  help: `
Synopsis
  tend ports [--json]

Options
  --json     an array of { app, id, pid, proto, address, port }

Exit codes
  0 ok; 3 daemon unreachable

Notes
  The TCP ports in LISTEN and the bound UDP ports of every running app, found over its whole
  process tree (workers, children and a cluster app's holder included): the socket inodes each
  process holds open (/proc/PID/fd) matched against the kernel's tables (/proc/net/tcp, tcp6,
  udp, udp6). The daemon scans them with its CPU and memory samples (every 5 s, in slices),
  so a port opened a moment ago shows up within one interval. \`list\` shows them in a
  \`ports\` column, \`describe\` as \`listening\`; /metrics as \`tend_app_listening_port\`.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, PORTS_OPTIONS, 'ports');
    const snapshot = readStatusSnapshot(ctx.paths);
    let apps: ProcessInfo[];
    if (snapshot !== null) {
      warnProblems(ctx, snapshot.problems);
      apps = snapshot.apps;
    } else {
      apps = await (await ctx.client()).call('process.list', {});
    }
    // One row per port; the rows of a cluster app's instances carry the same ports: shown once.
    const seen = new Set<string>();
    const rows = apps
      .flatMap((a) => (a.ports ?? []).map((p) => ({ app: a.name, id: a.id, pid: a.holderPid ?? a.pid, ...p })))
      .filter(
        (r) =>
          !seen.has(`${r.app} ${r.proto} ${r.address} ${r.port}`) && seen.add(`${r.app} ${r.proto} ${r.address} ${r.port}`) !== undefined,
      );
    if (values.json === true) ctx.out(JSON.stringify(rows));
    else if (rows.length === 0) ctx.out('No app is listening on a TCP or UDP port.');
    else
      ctx.out(
        renderTable(
          ['app', 'id', 'pid', 'proto', 'address', 'port'],
          rows.map((r) => [r.app, String(r.id), String(r.pid ?? '-'), r.proto, r.address, String(r.port)]),
        ),
      );
    return 0;
  },
};
