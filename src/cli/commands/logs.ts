import { usageError } from '../../errors.js';
import { mergeByTime, oneRowPerApp, readRecords } from '../../logs/read.js';
import type { LogSource } from '../../protocol/logs.js';
import type { LogRecord, LogStream } from '../../protocol/logs.js';
import type { ProcessDetail } from '../../protocol/process-info.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { createLogLineRenderer } from '../render/log-line.js';
import { followAcrossDaemons } from '../follow-daemon.js';

const LOGS_OPTIONS = {
  lines: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  'no-follow': { type: 'boolean' },
  out: { type: 'boolean' },
  err: { type: 'boolean' },
  grep: { type: 'string' },
  json: { type: 'boolean' },
  raw: { type: 'boolean' },
  timestamp: { type: 'boolean' },
  reopen: { type: 'boolean' },
  nostream: { type: 'boolean' },
  'ignore-case': { type: 'boolean', short: 'i' },
} satisfies Options;

export const logs: Command = {
  options: LOGS_OPTIONS,
  help: `
Synopsis
  tend logs [name|id|all ...] [--lines N] [--no-follow] [--out|--err] [--grep RE [-i]] [--json|--raw] [--timestamp]
  tend logs --reopen            reopen every log file (after an external logrotate with \`create\`)

Options
  --lines N      lines shown from the end of each app's logs, across rotated files (default 15)
  --no-follow    print and exit (default: keep printing new lines until Ctrl-C); also --nostream (PM2)
  -f, --follow   keep printing new lines (the default; accepted for tail/PM2 habits)
  --out, --err   only stdout / only stderr
  --grep RE      only lines matching the regular expression
  -i, --ignore-case   --grep ignores case
  --json         one JSON record per line: time, app, id, stream, message
  --raw          bare lines, no prefix
  --timestamp    show each line's arrival time (apps must log with --time or --log-type json: a
                 plain log file does not record when its lines arrived)

Exit codes
  0 ok; 1 unknown app; 2 bad usage; 3 daemon unreachable

Notes
  Several apps are interleaved in time order with a coloured \`name|\` prefix. Works for stopped
  apps. A follower that cannot keep up is disconnected with a message; the apps never wait for it.
  It follows on across \`tend daemon restart\` (and says so); it stops when no daemon comes back.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, LOGS_OPTIONS, 'logs');
    if (values.nostream === true) values['no-follow'] = true;
    if (values.reopen === true) {
      const r = await (await ctx.client()).call('logs.reopen', {});
      ctx.out(`reopened ${r.files} log file(s)`);
      return 0;
    }
    const lines = values.lines === undefined ? 15 : Number(values.lines);
    if (!Number.isInteger(lines) || lines < 0)
      throw usageError(`\`--lines ${values.lines}\` is not a whole number`, 'Example: tend logs api --lines 100');
    let grep: RegExp | null = null;
    try {
      grep = values.grep === undefined ? null : new RegExp(values.grep, values['ignore-case'] === true ? 'i' : '');
    } catch {
      throw usageError(`\`--grep ${values.grep}\` is not a valid regular expression`, 'Example: --grep "GET /api"');
    }
    const streams: LogStream[] =
      values.out === true && values.err !== true ? ['out'] : values.err === true && values.out !== true ? ['err'] : ['out', 'err'];
    const targets = positionals.length > 0 ? positionals : ['all'];
    const client = await ctx.client();
    const details = new Map<number, ProcessDetail>();
    for (const target of targets) for (const d of await client.call('process.describe', { target })) details.set(d.id, d);
    const apps = oneRowPerApp(details.values());
    if (values.timestamp === true) {
      const untimed = apps.filter((d) => !d.spec.log.time && d.spec.log.type !== 'json').map((d) => d.name);
      if (untimed.length > 0) {
        throw usageError(
          `--timestamp: the logs of ${untimed.map((n) => `\`${n}\``).join(', ')} record no arrival times (started without --time)`,
          'Start the app with --time (or `time: true` in its config) so each line is stamped on arrival, or leave out --timestamp.',
        );
      }
    }

    const keep = (r: LogRecord): boolean => streams.includes(r.stream) && (grep === null || grep.test(r.message));
    const render = createLogLineRenderer({
      json: values.json === true,
      raw: values.raw === true,
      timestamp: values.timestamp === true,
      prefix: true,
      color: ctx.isTTY,
    });
    const perApp = await Promise.all(
      apps.map(async ({ id }) => lastMatching(await client.call('logs.sources', { target: id, streams }), lines, keep, grep !== null)),
    );
    const backlog = mergeByTime(perApp);
    if (backlog.length > 0) ctx.out(backlog.map(render).join('\n'));
    if (values['no-follow'] === true) return 0;

    await followAcrossDaemons(
      ctx,
      client,
      async (c) => {
        for (const { id } of apps) await c.call('logs.subscribe', { target: id, streams });
      },
      (event) => {
        if (event.type === 'log:line' && keep(event.record)) ctx.out(render(event.record));
        else if (event.type === 'subscription:dropped') ctx.err(`tend: the daemon stopped sending logs: ${event.reason}`);
      },
    );
    return 0;
  },
};

/**
 * The last `lines` records that pass `keep`. With a filter, reads further back (4× each round)
 * until enough match or the whole history (live file and archives) has been read.
 */
async function lastMatching(sources: LogSource[], lines: number, keep: (r: LogRecord) => boolean, filtered: boolean): Promise<LogRecord[]> {
  let want = filtered ? Math.max(lines * 20, 1000) : lines;
  for (;;) {
    const lists = await Promise.all(sources.map((s) => readRecords(s, want)));
    const kept = mergeByTime(lists.map((l) => l.filter(keep)));
    const exhausted = lists.every((l) => l.length < want);
    if (!filtered || kept.length >= lines || exhausted) return kept.slice(-lines);
    want *= 4;
  }
}
