import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { readStatusSnapshot, type StatusSnapshot } from '../status-snapshot.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { formatDuration } from '../../lib/duration.js';
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
    if (snapshot !== null && snapshot.gone.length === 0) warnProblems(ctx, snapshot.problems);
    else {
      // No snapshot, or one that shows a process that is gone: the daemon's own answer. A daemon
      // that cannot answer (out of file descriptors, hung) leaves the snapshot, said to be stale.
      const asked = askDaemon(ctx, snapshot === null ? null : STALE_ASK_MS);
      const answer = await asked.catch((err: unknown) => {
        if (snapshot === null) throw err;
        return err as Error;
      });
      if (answer instanceof Error) {
        const s = snapshot as StatusSnapshot;
        const age = formatDuration(Math.max(0, Date.now() - s.writtenAt));
        ctx.err(
          `tend: warning: STALE: the daemon (pid ${s.daemonPid}) did not answer (${answer.message}); this is its last published status, ${age} old, and it is out of date: ${s.gone.map((p) => `${p.name} (pid ${p.pid}) is no longer running`).join(', ')}`,
        );
        warnProblems(ctx, s.problems);
      } else {
        warnProblems(ctx, answer.problems);
        result = answer.apps;
      }
    }
    result ??= [];
    if (values.json === true) ctx.out(JSON.stringify(result, null, values.pretty === true ? 2 : undefined));
    else if (values.mini === true) ctx.out(result.map((p) => `${p.id} ${p.name} ${p.status} ${p.pid ?? '-'}`).join('\n'));
    else ctx.out(renderProcessTable(result, ctx.isTTY));
    return 0;
  },
};

/** How long `list` waits for a daemon whose published status is out of date. */
const STALE_ASK_MS = 3000;

/** The list and problems from the daemon itself; `timeoutMs` bounds the wait (null: no bound). */
async function askDaemon(ctx: CliContext, timeoutMs: number | null): Promise<{ apps: ProcessInfo[]; problems: readonly string[] }> {
  const ask = (async () => {
    const client = await ctx.client();
    const [apps, info] = await Promise.all([client.call('process.list', {}), client.call('daemon.info', {})]);
    return { apps, problems: info.problems };
  })();
  if (timeoutMs === null) return ask;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([ask, late]);
  } finally {
    clearTimeout(timer);
  }
}
