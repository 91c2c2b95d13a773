import { closeSync } from 'node:fs';
import type { AppSpec, LogPaths, RunAs } from '../protocol/model.js';
import { findExecutable } from '../lib/which.js';
import type { SpawnRequest } from '../spawner/spawn-app.js';
import { appEnv, wantsIpc } from './app-env.js';
import { buildCommand } from '../lib/command-line.js';
import { handsOffSockets, type HeldApp } from './held-app.js';
import { packageFile } from '../lib/package-files.js';
import { TOKEN_VAR } from './kill-tree.js';
import { ptyCommand } from './pty-launch.js';
import type { StdioPipes } from './stdio-pipes.js';

/** What a launch needs of the app, before its token is known. */
export interface LaunchInput {
  id: number;
  spec: AppSpec;
  pipes: StdioPipes;
  /** The app's holder when it is a cluster / socket-activated app. */
  held: HeldApp | null;
  makeFifos(paths: string[]): void;
  /** The attach socket of a PTY app. */
  ptySocket: string;
}

export type PreparedLaunch =
  | {
      ok: true;
      fds: [number, number, number];
      command: { file: string; args: string[] };
      heldEnv: Record<string, string> | null;
      ipc: boolean;
    }
  | { ok: false; message: string };

/**
 * The app's ends of its FIFOs and the command to run (a held app's holder, a PTY app's holder,
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
    const held = input.held?.command(input.spec) ?? null;
    let command = held ?? withReloadHook(buildCommand(input.spec.exec), input.spec);
    // A PTY app runs under its own holder, which owns the terminal (see pty-launch.ts).
    if (held === null && input.spec.pty !== undefined) command = ptyCommand(command, input.spec, input.ptySocket);
    if (input.spec.runAs !== undefined) command = asUser(command, input.spec.runAs, input.pipes);
    const ipc = held === null && input.spec.pty === undefined && wantsIpc(input.spec);
    return { ok: true, fds, command: { file: command.file, args: command.args }, heldEnv: held?.env ?? null, ipc };
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
 * The command run as another user (a root daemon, PM2's `uid`/`gid`): setpriv sets the
 * supplementary groups (initgroups), the group and the user, then execs the app (same pid). The
 * app's FIFOs become its own; the daemon keeps its ends, opened before.
 */
function asUser(command: { file: string; args: string[] }, runAs: RunAs, pipes: StdioPipes): { file: string; args: string[] } {
  const setpriv = findExecutable('setpriv', process.env.PATH ?? '/usr/bin:/bin', '/');
  if (setpriv === undefined) throw new Error('setpriv (util-linux) is needed to run an app as another user, and it is not installed');
  pipes.chown(runAs.uid, runAs.gid);
  return { file: setpriv, args: [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups', '--', command.file, ...command.args] };
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
  return { file: prepared.command.file, args: prepared.command.args, cwd: spec.cwd, env, stdio: prepared.fds, ipc: prepared.ipc };
}
