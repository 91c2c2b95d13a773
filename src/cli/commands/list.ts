import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { readStatusSnapshot } from '../status-snapshot.js';
import { renderProcessTable } from '../render/process-table.js';
import { warnProblems } from '../render/problems.js';

const LIST_OPTIONS = { json: { type: 'boolean' }, pretty: { type: 'boolean' }, mini: { type: 'boolean', short: 'm' } } satisfies Options;

export const list: Command = {
  options: LIST_OPTIONS,
  help: `
Synopsis
  tend list [--json] [-m]     (aliases: ls, status, ps, l; jlist = list --json, prettylist = indented JSON)

Options
  --json     an array with one object per process: name, id, pid, status, restarts, uptimeMs, …
  --pretty   with --json: indented
  -m, --mini one line per app: id, name, status, pid (PM2's \`ls -m\`)

Exit codes
  0 ok; 3 daemon unreachable

Notes
  status is one of launching, online, stopping, stopped, waiting-restart, errored.
  While the daemon runs, list reads the status it publishes after every change
  (TEND_HOME/status.json) and needs no round trip; otherwise it starts the daemon.
  The daemon's problems (disk full, state recovered from a backup) are warnings on stderr.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, LIST_OPTIONS, 'list');
    // The published snapshot while the daemon lives; otherwise the socket (which starts one).
    const snapshot = readStatusSnapshot(ctx.paths);
    let result = snapshot?.apps;
    if (snapshot !== null) warnProblems(ctx, snapshot.problems);
    else {
      const client = await ctx.client();
      const [apps, info] = await Promise.all([client.call('process.list', {}), client.call('daemon.info', {})]);
      warnProblems(ctx, info.problems);
      result = apps;
    }
    result ??= [];
    if (values.json === true) ctx.out(JSON.stringify(result, null, values.pretty === true ? 2 : undefined));
    else if (values.mini === true) ctx.out(result.map((p) => `${p.id} ${p.name} ${p.status} ${p.pid ?? '-'}`).join('\n'));
    else ctx.out(renderProcessTable(result, ctx.isTTY));
    return 0;
  },
};
