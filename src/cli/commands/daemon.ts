import { TendError, isTendError, usageError } from '../../errors.js';
import type { DaemonInfo } from '../../protocol/daemon-info.js';
import type { RpcClient } from '../../rpc/client.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { daemonFromPidFile } from '../status-snapshot.js';
import { waitForExit } from '../wait-exit.js';

/** How long a daemon has to answer before `daemon restart|stop` takes it as hung. */
const ANSWER_MS = 5000;

/** The daemon's info, or null when it does not answer within ANSWER_MS (stopped, its event loop stuck). */
async function answerOrHung(client: RpcClient): Promise<DaemonInfo | null> {
  try {
    return await client.call('daemon.info', {}, ANSWER_MS);
  } catch (err) {
    const hung = isTendError(err) && (err.code === 'E_TIMEOUT' || (err.details as { hung?: boolean } | undefined)?.hung === true);
    if (hung) return null;
    throw err;
  }
}

/**
 * A daemon that does not answer is killed, as \`kill -9\` (which every state change survives):
 * its apps keep running and the next daemon adopts them. Its pid comes from daemon.pid, checked
 * against its start time.
 */
function killHung(ctx: CliContext): number | null {
  const pid = daemonFromPidFile(ctx.paths);
  if (pid === null) return null;
  process.kill(pid, 'SIGKILL');
  ctx.err(
    `tend: the daemon (pid ${pid}) did not answer within ${ANSWER_MS / 1000} s; killed it (SIGKILL): its apps keep running and the next daemon adopts them`,
  );
  return pid;
}

/** Apps whose running process a new daemon adopted (a cluster app's instances are one app, as \`daemon stop\` counts them). */
function adoptedApps(rows: Array<{ name: string; adopted: boolean }>): number {
  return new Set(rows.filter((p) => p.adopted).map((p) => p.name)).size;
}

/**
 * A daemon started by the boot unit is restarted through systemd, so it stays under the unit
 * (KillMode=process: apps keep running and are adopted by the new daemon).
 */
async function restartUnit(
  unit: { name: string; scope: 'system' | 'user' },
  oldPid: number | null,
  ctx: CliContext,
  json: boolean,
): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const args = [...(unit.scope === 'user' ? ['--user'] : []), 'restart', unit.name];
  try {
    execFileSync('systemctl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new TendError('E_INTERNAL', `\`systemctl ${args.join(' ')}\` failed${stderr ? `: ${stderr}` : ''}`, {
      hint: `See \`journalctl ${unit.scope === 'user' ? '--user ' : ''}-u ${unit.name}\`.`,
    });
  }
  const fresh = await ctx.client();
  const info = await fresh.call('daemon.info', {});
  const adopted = adoptedApps(await fresh.call('process.list', {}));
  ctx.out(
    json
      ? JSON.stringify({ oldPid, pid: info.pid, apps: info.apps, adopted, unit: unit.name })
      : `daemon replaced through systemd (${unit.name}): ${oldPid ?? 'none'} → ${info.pid}; ${adopted} running app(s) adopted`,
  );
  return 0;
}

const DAEMON_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const daemon: Command = {
  options: DAEMON_OPTIONS,
  help: `
Synopsis
  tend daemon restart [--json]   replace the daemon; apps keep running and are re-adopted
  tend daemon stop               stop the daemon only; apps keep running (the next command adopts them)
  tend daemon status [--json]    show the daemon without starting one
  tend daemon run                run the daemon in the foreground (for systemd; readiness via sd_notify)

Exit codes
  0 done; 1 failed; 3 (status) no daemon running

Notes
  restart and stop kill a daemon that does not answer within 5 s (SIGKILL, which every state
  change survives) and say so; its apps keep running.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, DAEMON_OPTIONS, 'daemon');
    const action = positionals[0];
    const json = values.json === true;
    if (action === 'run') {
      // The daemon's module runs on import; this process becomes the daemon.
      await import('../../daemon/main.js');
      return new Promise<number>(() => undefined);
    }
    if (action === 'status') {
      const client = await ctx.clientIfRunning();
      if (client === null) {
        ctx.out(json ? JSON.stringify(null) : 'no daemon running');
        return 3;
      }
      const info = await client.call('daemon.info', {});
      ctx.out(
        json ? JSON.stringify(info) : `daemon ${info.pid} running since ${new Date(info.startedAt).toISOString()}, ${info.apps} app(s)`,
      );
      return 0;
    }
    if (action !== 'restart' && action !== 'stop')
      throw usageError('`tend daemon` needs restart, stop, status or run', 'Example: tend daemon restart');
    const client = await ctx.clientIfRunning();
    let oldPid: number | null = null;
    let apps: number | null = 0;
    const answer = client === null ? null : await answerOrHung(client);
    const unit = answer?.systemd ?? null;
    if (unit !== null && action === 'restart') return restartUnit(unit, client?.daemonPid ?? null, ctx, json);
    if (client !== null && answer === null) {
      client.close();
      oldPid = killHung(ctx);
      apps = null;
      if (oldPid !== null) await waitForExit(oldPid);
    } else if (client !== null) {
      apps = (await client.call('daemon.shutdown', {})).apps;
      oldPid = client.daemonPid;
      client.close();
      if (oldPid !== null) await waitForExit(oldPid);
    }
    if (action === 'stop') {
      ctx.out(
        json
          ? JSON.stringify({ stopped: oldPid, apps })
          : oldPid === null
            ? 'no daemon running'
            : `daemon ${oldPid} stopped; ${apps === null ? 'its apps' : `${apps} app(s)`} keep running`,
      );
      return 0;
    }
    const fresh = await ctx.client();
    const info = await fresh.call('daemon.info', {});
    const adopted = adoptedApps(await fresh.call('process.list', {}));
    ctx.out(
      json
        ? JSON.stringify({ oldPid, pid: info.pid, apps: info.apps, adopted })
        : `daemon replaced: ${oldPid ?? 'none'} → ${info.pid}; ${adopted} running app(s) adopted`,
    );
    return 0;
  },
};
