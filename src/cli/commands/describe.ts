import { formatDuration } from '../../lib/duration.js';
import { formatBytes } from '../../lib/bytes.js';
import { describeProbe } from '../../config/health-spec.js';
import { READY_NEVER_CAME, type ProcessDetail, type ReloadReport } from '../../protocol/process-info.js';
import { isUp } from '../../protocol/status-groups.js';
import { usageError } from '../../errors.js';
import { requireAppsForAll } from '../require-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { warnProblems } from '../render/problems.js';

const DESCRIBE_OPTIONS = { json: { type: 'boolean' }, env: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } } satisfies Options;

export const describe: Command = {
  options: DESCRIBE_OPTIONS,
  help: `
Synopsis
  tend describe <name|id|all> [--json] [--env] [--show-secrets]     (aliases: show, info, desc)

Options
  --json           the full record as JSON
  --env            list every variable, the inherited ones too (default: those you set, and a count)
  --show-secrets   do not redact secrets: variables whose names look secret (*TOKEN*, *SECRET*, *PASSWORD*, API_KEY…)
                   and the password of any URL (in variables, arguments, checks, hooks, reasons)

Exit codes
  0 ok; 1 unknown app, or no app at all for \`all\`; 2 bad usage; 3 daemon unreachable

Notes
  The stop line says which signal stops the app: SIGINT (PM2's) for apps from PM2 ecosystem
  files and \`tend start <script>\`, SIGTERM for tend.config files, Procfiles and commands after
  --, unless kill_signal says otherwise.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, DESCRIBE_OPTIONS, 'describe');
    const target = positionals[0];
    if (target === undefined) throw usageError('`tend describe` needs a target', 'Example: tend describe api');
    const client = await ctx.client();
    const [details, info] = await Promise.all([
      client.call('process.describe', { target, showSecrets: values['show-secrets'] === true }),
      client.call('daemon.info', {}),
    ]);
    warnProblems(ctx, info.problems);
    requireAppsForAll(details.length, [target], 'describe');
    ctx.out(values.json === true ? JSON.stringify(details) : details.map((d) => renderDetail(d, values.env === true)).join('\n\n'));
    return 0;
  },
};

function renderDetail(d: ProcessDetail, allEnv: boolean): string {
  const exec = d.spec.exec;
  const command = exec.shell
    ? `sh -c ${exec.script} ${exec.args.join(' ')}`
    : [exec.interpreter ?? '', ...exec.interpreterArgs, exec.script, ...exec.args].filter(Boolean).join(' ');
  const last =
    d.lastExit === null
      ? '-'
      : `${d.lastExit.signal ?? (d.lastExit.unknown ? 'unknown (not our child: adopted, or exited while no daemon ran)' : `code ${d.lastExit.code}`)}${d.lastExit.forced ? ' (forced with SIGKILL)' : ''} at ${new Date(d.lastExit.at).toISOString()}`;
  const rows: Array<[string, string]> = [
    ['name', `${d.name} (id ${d.id}${d.instance === undefined ? '' : `, instance ${d.instance}`}, namespace ${d.namespace})`],
    ['status', d.status + (d.reason !== null && (!isUp(d.status) || d.reason.startsWith(READY_NEVER_CAME)) ? ` — ${d.reason}` : '')],
    ['pid', d.pid === null ? '-' : `${d.pid}${d.adopted ? ' (adopted from a previous daemon)' : ''}`],
    ['uptime', d.pid === null ? '-' : formatDuration(d.uptimeMs)],
    ['restarts', `${d.restarts} (unstable in a row: ${d.unstableRestarts})`],
    ...(d.nextRestartAt === null
      ? []
      : [['next restart', `${new Date(d.nextRestartAt).toISOString()} (the restart delay)`] as [string, string]]),
    ['last exit', last],
    ['command', command],
    ['cwd', d.spec.cwd],
    [
      'autorestart',
      `${d.spec.autorestart}, max ${d.spec.maxRestarts} unstable restarts, min uptime ${d.spec.minUptimeMs} ms, delay ${d.spec.restartDelayMs} ms, backoff ${d.spec.expBackoffRestartDelayMs} ms`,
    ],
    ['stop', `${d.spec.killSignal}, then SIGKILL after ${d.spec.killTimeoutMs} ms`],
    ['out log', d.logs.out ?? '-'],
    ['err log', d.logs.err ?? '-'],
  ];
  if (d.spec.schedule !== undefined || d.spec.scheduleIntervalMs !== undefined) {
    const every = d.spec.schedule ?? `every ${formatDuration(d.spec.scheduleIntervalMs ?? 0)}`;
    rows.push([
      'schedule',
      `${every}, overlap ${d.spec.overlap ?? 'skip'}${d.spec.runAtStart === true ? ', runs at start' : ''}; missed runs are not caught up`,
    ]);
    const j = d.job;
    rows.push(['next run', j?.nextRunAt == null ? '-' : new Date(j.nextRunAt).toISOString()]);
    const notes = `${j?.queued === true ? '; one run queued' : ''}${(j?.skipped ?? 0) > 0 ? `; ${j?.skipped} skipped (still running)` : ''}${(j?.missed ?? 0) > 0 ? `; ${j?.missed} missed (tend was down)` : ''}`;
    const last =
      j?.lastRun == null
        ? '-'
        : `${new Date(j.lastRun.startedAt).toISOString()}, ${j.lastRun.signal ?? `exit code ${String(j.lastRun.code)}`}, took ${formatDuration(j.lastRun.durationMs)}`;
    rows.push(['last run', `${last}${notes}`]);
    if (j?.alongside !== undefined)
      rows.push([
        'runs going',
        `${1 + j.alongside.length}: pid ${String(d.pid ?? '-')} (this app)${j.alongside.map((r) => `, pid ${String(r.pid ?? '-')} (${r.name})`).join('')}`,
      ]);
  }
  if (d.spec.readyLogLine !== undefined)
    rows.push([
      'ready when',
      `a line of its output matches /${d.spec.readyLogLine}/ (or after listen_timeout ${d.spec.listenTimeoutMs} ms)`,
    ]);
  if (d.spec.watch !== undefined) rows.push(['watch', describeWatch(d)]);
  if (d.spec.pty !== undefined)
    rows.push(['terminal', `pty (tend attach ${d.name}); logs ${d.spec.pty.logAnsi ? 'keep' : 'strip'} ANSI escapes`]);
  if (d.lastReload != null) rows.push(['last reload', describeReload(d, d.lastReload)]);
  rows.push(...observedRows(d));
  if (d.holder !== undefined) rows.push(['holder', holderLine(d.holder)]);
  if (d.logs.combined !== null) rows.push(['combined log', d.logs.combined]);
  if (d.logError !== null) rows.push(['log error', d.logError]);
  // The variables the user set; the inherited ones (often 30+) only with --env.
  const user = d.spec.userEnv === undefined || allEnv ? null : new Set(d.spec.userEnv);
  const entries = Object.entries(d.spec.env).sort(([a], [b]) => a.localeCompare(b));
  const shown = user === null ? entries : entries.filter(([k]) => user.has(k));
  const env = shown.map(([k, v]) => `  ${k}=${v}`);
  const hidden = entries.length - shown.length;
  const title = user === null ? 'env' : `env (set for this app; ${hidden} inherited from the shell not shown: --env lists them)`;
  const width = Math.max(...rows.map(([k]) => k.length));
  const tree = (d.tree ?? []).map(
    (p) =>
      `  ${String(p.pid).padStart(7)}  ${(p.cpuPercent === null ? '-' : `${p.cpuPercent.toFixed(1)}%`).padStart(6)}  ${formatBytes(p.memoryBytes).padStart(8)}  ${p.command}`,
  );
  const treeBlock = tree.length > 0 ? ['processes (pid, cpu, rss, command)', ...tree] : [];
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ...treeBlock, title, ...env].join('\n');
}

/** A pooled app's pool holder (a cluster app's node:cluster primary): its own cost once, and the app's total. */
function holderLine(h: NonNullable<ProcessDetail['holder']>): string {
  if (h.pid === null) return '- (not running)';
  const cpu = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)}%`);
  const mem = (v: number | null): string => (v === null ? '-' : formatBytes(v));
  return `pid ${h.pid}, cpu ${cpu(h.cpuPercent)}, memory ${mem(h.memoryBytes)}; the app in total (holder and every instance): cpu ${cpu(h.app.cpuPercent)}, memory ${mem(h.app.memoryBytes)}`;
}

/** CPU and memory, limits and health rows. */
function observedRows(d: ProcessDetail): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const main = d.tree?.[0];
  if (d.pid !== null) {
    const cpu = d.cpuPercent === null ? '-' : `${d.cpuPercent.toFixed(1)}%`;
    const mem = d.memoryBytes === null ? '-' : formatBytes(d.memoryBytes);
    const n = d.tree?.length ?? 0;
    rows.push(['cpu', `${cpu}${n > 1 && main?.cpuPercent != null ? ` (main pid ${main.cpuPercent.toFixed(1)}%, ${n} processes)` : ''}`]);
    rows.push(['memory', `${mem}${n > 1 && main !== undefined ? ` (main pid ${formatBytes(main.memoryBytes)}, ${n} processes)` : ''}`]);
    if (d.ports !== undefined)
      rows.push([
        'listening',
        d.ports.length === 0
          ? 'no port'
          : d.ports.map((p) => `${p.proto} ${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.port}`).join(', '),
      ]);
  }
  const spec = d.spec;
  if (spec.proxy !== undefined)
    rows.push([
      'proxy',
      `tend listens on ${spec.proxy.listen}; each ready instance serves it from its private loopback port in $${spec.proxy.portEnv}`,
    ]);
  if (spec.maxMemoryRestartBytes != null)
    rows.push(['memory limit', `${formatBytes(spec.maxMemoryRestartBytes)} (whole tree), restarts: ${d.limitRestarts?.memory ?? 0}`]);
  if (spec.maxAgeMs !== undefined)
    rows.push([
      'max age',
      `${formatDuration(spec.maxAgeMs)} + up to ${formatDuration(spec.maxAgeJitterMs ?? 0)} at random, next ${d.nextRecycleAt == null ? '-' : new Date(d.nextRecycleAt).toISOString()}, recycled: ${d.limitRestarts?.age ?? 0}`,
    ]);
  if (spec.cronRestart != null)
    rows.push([
      'cron restart',
      `${spec.cronRestart}, next ${d.nextCronAt == null ? '-' : new Date(d.nextCronAt).toISOString()}, restarts: ${d.limitRestarts?.cron ?? 0}`,
    ]);
  if (spec.health != null) {
    const h = spec.health;
    rows.push([
      'health check',
      `${describeProbe(h.probe)} every ${formatDuration(h.intervalMs)}, timeout ${formatDuration(h.timeoutMs)}, ${h.retries} retries, start period ${formatDuration(h.startPeriodMs)}; restarts: ${d.limitRestarts?.health ?? 0}`,
    ]);
    const last = d.lastHealthCheck;
    rows.push([
      'health',
      `${d.health ?? '-'}${last == null ? '' : ` (last check ${last.ok ? 'passed' : 'failed'}: ${last.message}, ${new Date(last.at).toISOString()})`}`,
    ]);
  }
  if (d.lastLimitRestart != null)
    rows.push(['last auto restart', `${d.lastLimitRestart.reason} at ${new Date(d.lastLimitRestart.at).toISOString()}`]);
  return rows;
}

/** The outcome of the app's last rolling reload (cluster and `listen` apps). */
function describeReload(d: ProcessDetail, r: ReloadReport): string {
  const at = new Date(r.at).toISOString();
  if (r.ok) return `ok at ${at}, ${r.replaced.length} instance(s) replaced`;
  const id = d.instances?.find((i) => i.instance === r.failedInstance)?.id;
  const kept =
    r.replaced.length === 0
      ? 'every instance kept its old process'
      : `instance(s) ${r.replaced.join(', ')} replaced, the others kept their old processes`;
  const stderr = r.stderr.length > 0 ? `; last stderr: ${r.stderr[r.stderr.length - 1] ?? ''}` : '';
  return `FAILED at ${at}: the new process of instance ${r.failedInstance ?? '?'}${id === undefined ? '' : ` (id ${id})`} ${r.reason ?? 'failed'}; ${kept}${stderr}`;
}

function describeWatch(d: ProcessDetail): string {
  const w = d.spec.watch;
  if (w === undefined) return '-';
  const parts = [w.paths.join(', ')];
  if (w.ignore.length > 0) parts.push(`ignoring ${w.ignore.join(', ')}`);
  if (w.extensions.length > 0) parts.push(`only .${w.extensions.join(', .')}`);
  parts.push(`delay ${w.delayMs} ms`);
  const s = d.watch;
  if (s !== undefined) {
    parts.push(`${s.mode}${s.mode === 'inotify' ? ` (${s.watched} directories)` : s.mode === 'polling' ? ` (${s.watched} files)` : ''}`);
    parts.push(`${s.restarts} watch restart${s.restarts === 1 ? '' : 's'}`);
    if (s.lastChange !== null) parts.push(`last change ${s.lastChange.path} at ${new Date(s.lastChange.at).toISOString()}`);
    if (s.notice !== null) parts.push(s.notice);
  } else parts.push('not watching now (the app is stopped)');
  return parts.join('; ');
}
