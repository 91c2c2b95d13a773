import { usageError } from '../../errors.js';
import { mergeByTime, readRecords } from '../../logs/read.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { Monit } from '../../tui/monit/monit-app.js';
import { sanitize } from '../../tui/monit/text.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const MONIT_OPTIONS = {} satisfies Options;

export const monit: Command = {
  options: MONIT_OPTIONS,
  help: `
Synopsis
  tend monit                  a full-screen terminal dashboard (like pm2 monit)

Keys
  ↑/↓ or j/k   select an app         r   restart it         s   stop / start it
  R            reload it (cluster)   l   logs full screen   /   filter by name
  q, Ctrl-C    quit

Notes
  Shows every app with status, CPU and memory (summed over its process tree), restarts, uptime
  and health, sparklines of the selected app's CPU and memory, and its log as it is written.
  While it runs, the daemon samples every second instead of every 5 s.

Exit codes
  0 ok; 2 not a terminal; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    parseFlags(argv, MONIT_OPTIONS, 'monit');
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw usageError(
        '`tend monit` needs a terminal',
        'Use `tend list` (or `tend list --json`) in scripts, or `tend web` for a browser dashboard.',
      );
    }
    const client = await ctx.client();
    const m = new Monit({
      client,
      socketPath: ctx.paths.socket,
      stdin: process.stdin,
      stdout: process.stdout,
      backlog: async (app) => backlog(ctx, app),
    });
    return m.run();
  },
};

/** The app's last lines from its log files, as `tend logs` reads them. */
async function backlog(ctx: CliContext, app: ProcessInfo): Promise<Array<{ text: string; err: boolean }>> {
  const sources = await (await ctx.client()).call('logs.sources', { target: app.id });
  const lists = await Promise.all(sources.map((s) => readRecords(s, 50).catch(() => [])));
  return mergeByTime(lists).map((r) => ({ text: sanitize(r.message), err: r.stream === 'err' }));
}
