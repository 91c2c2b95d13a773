import { parseFlags, type CliContext, type Command } from '../context.js';
import { readStatusSnapshot } from '../status-snapshot.js';
import { renderProcessTable } from '../render/process-table.js';

export const list: Command = {
  help: `
Synopsis
  tend list [--json]          (aliases: ls, status)

Options
  --json   an array with one object per process: name, id, pid, status, restarts, uptimeMs, …

Exit codes
  0 ok; 3 daemon unreachable

Notes
  status is one of launching, online, stopping, stopped, waiting-restart, errored.
  While the daemon runs, list reads the status it publishes after every change
  (TEND_HOME/status.json) and needs no round trip; otherwise it starts the daemon.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } }, 'list');
    // The published snapshot while the daemon lives; otherwise the socket (which starts one).
    const result = readStatusSnapshot(ctx.paths) ?? (await (await ctx.client()).call('process.list', {}));
    ctx.out(values.json === true ? JSON.stringify(result) : renderProcessTable(result, ctx.isTTY));
    return 0;
  },
};
