import { formatDuration } from '../../lib/duration.js';
import type { ProcessDetail } from '../../protocol/model.js';
import { usageError } from '../../errors.js';
import { parseFlags, type CliContext, type Command } from '../context.js';
import { warnProblems } from '../render/problems.js';

export const describe: Command = {
  help: `
Synopsis
  tend describe <name|id|all> [--json] [--show-secrets]     (aliases: show, info)

Options
  --json           the full record as JSON
  --show-secrets   do not redact variables whose names look secret (*TOKEN*, *SECRET*, *PASSWORD*, *KEY*…)

Exit codes
  0 ok; 2 unknown app; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } }, 'describe');
    const target = positionals[0];
    if (target === undefined) throw usageError('`tend describe` needs a target', 'Example: tend describe api');
    const client = await ctx.client();
    const [details, info] = await Promise.all([client.call('process.describe', { target, showSecrets: values['show-secrets'] === true }), client.call('daemon.info', {})]);
    warnProblems(ctx, info.problems);
    ctx.out(values.json === true ? JSON.stringify(details) : details.map(renderDetail).join('\n\n'));
    return 0;
  },
};

function renderDetail(d: ProcessDetail): string {
  const exec = d.spec.exec;
  const command = exec.shell ? `sh -c ${exec.script} ${exec.args.join(' ')}` : [exec.interpreter ?? '', ...exec.interpreterArgs, exec.script, ...exec.args].filter(Boolean).join(' ');
  const last = d.lastExit === null ? '-' : `${d.lastExit.signal ?? (d.lastExit.unknown ? 'unknown (not our child: adopted, or exited while no daemon ran)' : `code ${d.lastExit.code}`)}${d.lastExit.forced ? ' (forced with SIGKILL)' : ''} at ${new Date(d.lastExit.at).toISOString()}`;
  const rows: Array<[string, string]> = [
    ['name', `${d.name} (id ${d.id}, namespace ${d.namespace})`],
    ['status', d.status + (d.reason !== null && d.status !== 'online' && d.status !== 'launching' ? ` — ${d.reason}` : '')],
    ['pid', d.pid === null ? '-' : `${d.pid}${d.adopted ? ' (adopted from a previous daemon)' : ''}`],
    ['uptime', d.pid === null ? '-' : formatDuration(d.uptimeMs)],
    ['restarts', `${d.restarts} (unstable in a row: ${d.unstableRestarts})`],
    ['last exit', last],
    ['command', command],
    ['cwd', d.spec.cwd],
    ['autorestart', `${d.spec.autorestart}, max ${d.spec.maxRestarts} unstable restarts, min uptime ${d.spec.minUptimeMs} ms, delay ${d.spec.restartDelayMs} ms, backoff ${d.spec.expBackoffRestartDelayMs} ms`],
    ['stop', `${d.spec.killSignal}, then SIGKILL after ${d.spec.killTimeoutMs} ms`],
    ['out log', d.logs.out ?? '-'],
    ['err log', d.logs.err ?? '-'],
  ];
  if (d.logs.combined !== null) rows.push(['combined log', d.logs.combined]);
  if (d.logError !== null) rows.push(['log error', d.logError]);
  const env = Object.entries(d.spec.env).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}=${v}`);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), 'env', ...env].join('\n');
}
