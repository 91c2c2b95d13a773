import { closeSync } from 'node:fs';
import type { AppSpec, RunAs } from '../protocol/app-spec.js';
import type { LogPaths } from '../protocol/logs.js';
import { parseListenAddress } from '../lib/listen-address.js';
import { findExecutable } from '../lib/which.js';
import type { SpawnRequest } from '../spawner/spawn-app.js';
import { appEnv, wantsIpc } from './app-env.js';
import { buildCommand } from '../lib/command-line.js';
import { handsOffSockets, type PoolHolder } from './pool-holder.js';
import { packageFile } from '../lib/package-files.js';
import { TOKEN_VAR } from './kill-tree.js';
import { ptyCommand } from './pty-launch.js';
import type { StdioPipes } from './stdio-pipes.js';
import { carryExtraCaCerts } from '../extra-ca.js';

/** What a launch needs of the app, before its token is known. */
export interface LaunchInput {
  id: number;
  spec: AppSpec;
  pipes: StdioPipes;
  /** The app's holder when it is a cluster / socket-activated app. */
  pool: PoolHolder | null;
  makeFifos(paths: string[]): void;
  /** Where a PTY app's holder listens, and works as another user (see ptyHome). */
  ptyHome(runAs: RunAs | undefined): { socket: string; cwd?: string };
}

export type PreparedLaunch =
  | {
      ok: true;
      fds: [number, number, number];
      command: { file: string; args: string[]; cwd?: string | undefined };
      heldEnv: Record<string, string> | null;
      ipc: boolean;
    }
  | { ok: false; message: string };

/**
 * The app's ends of its FIFOs and the command to run (a pooled app's holder, a PTY app's holder,
 * or the app's own command). On failure nothing is left open and the message says what failed.
 */
export function prepareLaunch(input: LaunchInput): PreparedLaunch {
  let fds: [number, number, number];
  try {
    input.pipes.ensure(input.makeFifos);
    fds = input.pipes.openAppEnds();
  } catch (err) {
    return { ok: false, message: `cannot create stdio pipes: ${(err as Error).message}` };
  }
  try {
    const pool = input.pool?.command(input.spec) ?? null;
    let command: { file: string; args: string[]; cwd?: string | undefined } =
      pool ?? withReloadHook(buildCommand(input.spec.exec), input.spec);
    // A PTY app runs under its own holder, which owns the terminal (see pty-launch.ts); as another
    // user, in its own folder (see ptyHome).
    if (pool === null && input.spec.pty !== undefined) {
      const home = input.ptyHome(input.spec.runAs);
      command = { ...ptyCommand(command, input.spec, home.socket), cwd: home.cwd };
    }
    if (input.spec.runAs !== undefined) {
      input.pipes.chown(input.spec.runAs.uid, input.spec.runAs.gid);
      command = { ...asUser(command, input.spec.runAs, bindsLowPort(input.spec)), cwd: command.cwd };
    }
    const ipc = pool === null && input.spec.pty === undefined && wantsIpc(input.spec);
    return { ok: true, fds, command: { file: command.file, args: command.args, cwd: command.cwd }, heldEnv: pool?.env ?? null, ipc };
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    return { ok: false, message: `cannot prepare the command: ${(err as Error).message}` };
  }
}

/**
 * A fork-mode Node app runs with tend's hook (worker-hook.ts, as cluster workers do), so a
 * `tend reload` can hand its listening sockets to the new process and drain the old one
 * (handoff-reload.ts). A PTY app's holder and shell commands are left as they are.
 */
function withReloadHook(command: { file: string; args: string[] }, spec: AppSpec): { file: string; args: string[] } {
  if (!handsOffSockets(spec)) return command;
  return { file: command.file, args: ['--require', packageFile(import.meta.url, 'worker-hook.cjs'), ...command.args] };
}

/**
 * A command run as another user (a root daemon, PM2's `uid`/`gid`): setpriv sets the
 * supplementary groups (initgroups), the group and the user, then execs the command (same pid).
 * The one way tend runs anything as an app's user: the app or its holder, its hooks, its exec
 * health checks. (The app's FIFOs become its own; the daemon keeps its ends, opened before.)
 */
export function asUser(command: { file: string; args: string[] }, runAs: RunAs, lowPorts = false): { file: string; args: string[] } {
  const setpriv = findExecutable('setpriv', process.env.PATH ?? '/usr/bin:/bin', '/');
  if (setpriv === undefined) throw new Error('setpriv (util-linux) is needed to run an app as another user, and it is not installed');
  // A `listen` port below 1024 is bound by the holder, as the user: it keeps that one capability.
  const caps = lowPorts ? ['--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service'] : [];
  const ids = [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups'];
  return { file: setpriv, args: [...ids, ...caps, '--', command.file, ...command.args] };
}

/** Whether the app's `listen` asks for a TCP port below 1024 (root's alone by default). */
function bindsLowPort(spec: AppSpec): boolean {
  return (spec.listen ?? []).some((text) => {
    const address = parseListenAddress(text);
    return address.kind === 'tcp' && address.port > 0 && address.port < 1024;
  });
}

/** A command of the app other than the app itself (a hook, an exec health check), run as the app's user. */
export function asApp(spec: Pick<AppSpec, 'runAs'>, command: { file: string; args: string[] }): { file: string; args: string[] } {
  return spec.runAs === undefined ? command : asUser(command, spec.runAs);
}

/** The spawn request of a prepared launch, once the run's token is recorded. */
export function launchRequest(
  prepared: Extract<PreparedLaunch, { ok: true }>,
  id: number,
  spec: AppSpec,
  logs: LogPaths,
  token: string,
): SpawnRequest {
  const env = appEnv(spec, id, logs, { [spec.instanceVar ?? 'NODE_APP_INSTANCE']: '0', ...prepared.heldEnv, [TOKEN_VAR]: token });
  // A holder (Node) starts without parsing NODE_EXTRA_CA_CERTS and puts it back for its app.
  const holder = prepared.heldEnv !== null || spec.pty !== undefined;
  const cwd = prepared.command.cwd ?? spec.cwd;
  return {
    file: prepared.command.file,
    args: prepared.command.args,
    cwd,
    env: holder ? (carryExtraCaCerts(env) as Record<string, string>) : env,
    stdio: prepared.fds,
    ipc: prepared.ipc,
  };
}
