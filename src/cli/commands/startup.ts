import { TendError } from '../../errors.js';
import { findExecutable } from '../../lib/which.js';
import { packageFile } from '../../lib/package-files.js';
import { tendPaths } from '../../store/paths.js';
import { VERSION } from '../../version.js';
import { BootChanges, hasLinger, userManagerSocket, waitForPath, wantsLink } from '../../boot/boot-install.js';
import type { BootTarget } from '../../boot/boot-target.js';
import { renderBootUnit } from '../../boot/boot-unit.js';
import { printChanges } from '../../boot/print-changes.js';
import { connectIfRunning } from '../../client/connect.js';
import { BOOT_UNIT_OPTIONS, bootUnitTarget } from '../boot-unit-flags.js';
import { parseFlagsOnly, type CliContext, type Command } from '../context.js';
import { waitForExit } from '../wait-exit.js';

export const startup: Command = {
  options: BOOT_UNIT_OPTIONS,
  help: `
Synopsis
  tend startup [--user NAME] [--rootless] [--dry-run] [--json]

Options
  --user NAME  (root) a system unit that runs tend, and its apps, as NAME with NAME's TEND_HOME
  --rootless   a unit of your own user manager (systemctl --user); the default when not root
  --dry-run    print the unit and the commands, change nothing
  --json       print {mode, unit, file, user, home, steps, notices, unitText}

Exit codes
  0 installed and running; 1 a step failed, or boot will not start it (no lingering);
  2 bad usage (e.g. --user without root)

Notes
  As root: /etc/systemd/system/tend-<user>.service. Otherwise ~/.config/systemd/user/tend.service,
  plus \`loginctl enable-linger\` (tried; if not allowed, the command to ask for is printed) so
  your user manager, and tend, start at boot without a login.
  The unit runs \`tend daemon run\` (Type=notify: active once the socket is up), then
  \`tend resurrect --boot\`: what \`tend save\` wrote starts once per boot. Node is found through
  the PATH of the shell that ran \`tend startup\` (bin/tend is \`#!/usr/bin/env node\`): an
  in-place Node upgrade needs nothing; if that PATH names a versioned Node (nvm), run
  \`tend startup\` again after switching versions.
  systemctl stop/restart of the unit stops or replaces only the daemon: apps keep running and
  the next daemon adopts them (KillMode=process). At shutdown or reboot, the unit stops the apps
  gracefully (their kill_signal and kill_timeout) and the next boot starts the saved set.
  A daemon already running on that home (started by a tend command) is handed over: it exits,
  apps untouched, and the unit's daemon adopts them. Running it again updates the unit.
  After \`tend daemon restart\` or \`tend kill\`, bring the unit's daemon back with
  \`systemctl restart <unit>\` (a CLI-started daemon is not supervised by systemd).`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const values = parseFlagsOnly(argv, BOOT_UNIT_OPTIONS, 'startup');
    const target = bootUnitTarget(values, ctx);
    const path = ctx.env.PATH ?? '';
    const node = nodeOnPath(path);
    const unitText = renderBootUnit({
      tendBin: launcherPath(),
      home: target.home,
      path,
      user: target.mode === 'system' && target.user !== 'root' ? target.user : null,
      rootless: target.mode === 'rootless',
      runtimeDir: target.runtimeDir,
      generator: `Written by \`tend startup\` (tend ${VERSION})`,
    });
    const changes = new BootChanges(target, values['dry-run'] === true, ctx.env);
    if (/\/v\d+\.\d+\.\d+\//.test(node))
      changes.notices.push(`node resolves to ${node}, a versioned install: after switching Node versions, run \`tend startup\` again`);
    let bootReady: boolean;
    try {
      bootReady = await install(target, changes, unitText);
    } catch (err) {
      if (values.json !== true) printChanges(changes, ctx.out);
      throw err;
    }
    report(ctx, values.json === true, { target, node, changes, unitText, bootReady });
    if (!bootReady) {
      throw new TendError('E_INTERNAL', `the unit is installed, but lingering is off for ${target.user}: tend will not start at boot`, {
        hint: `Ask an administrator to run: sudo loginctl enable-linger ${target.user}`,
      });
    }
    return 0;
  },
};

/** The node the unit will run tend with: the one on the PATH `tend startup` was run with. */
function nodeOnPath(path: string): string {
  const node = findExecutable('node', path, '/');
  if (node !== undefined) return node;
  throw new TendError('E_INTERPRETER_NOT_FOUND', 'node is not on the PATH `tend startup` was run with, so the unit could not start tend', {
    hint: 'Run it from a shell where `node` works (with sudo: sudo env PATH="$PATH" tend startup …).',
  });
}

/**
 * Writes the unit, turns lingering on for a rootless unit, enables it, hands a running daemon
 * over and (re)starts the unit. False when boot will not start it (lingering could not be turned on).
 */
async function install(target: BootTarget, changes: BootChanges, unitText: string): Promise<boolean> {
  changes.write(target.unitFile, unitText, 0o644);
  let bootReady = true;
  let managerUp = true;
  if (target.mode === 'rootless') {
    if (!hasLinger(target.user)) {
      bootReady = changes.run(['loginctl', 'enable-linger', '--no-ask-password', target.user], true).ok;
      if (!bootReady)
        changes.notices.push(
          `lingering is off for ${target.user}, so no user manager (and no tend) starts at boot until someone logs in; ask an administrator to run: sudo loginctl enable-linger ${target.user}`,
        );
    }
    const socket = userManagerSocket(target) as string;
    managerUp = changes.dryRun || (await waitForPath(socket, bootReady ? 10_000 : 0));
    if (!managerUp) {
      changes.link(wantsLink(target), target.unitFile);
      changes.notices.push(`no user manager answers at ${socket}; the unit is enabled by hand and starts with your user manager`);
    }
  }
  if (managerUp) {
    changes.run(changes.systemctl('daemon-reload'));
    changes.run(changes.systemctl('enable', target.unitName));
    if (!changes.dryRun) await handOver(target, changes);
    changes.run(changes.systemctl('restart', target.unitName));
  }
  return bootReady;
}

/** What was installed: the JSON summary, or the lines for humans. */
function report(
  ctx: CliContext,
  json: boolean,
  r: { target: BootTarget; node: string; changes: BootChanges; unitText: string; bootReady: boolean },
): void {
  const { target, changes, unitText } = r;
  if (json) {
    const summary = {
      mode: target.mode,
      unit: target.unitName,
      file: target.unitFile,
      user: target.user,
      home: target.home,
      node: r.node,
      dryRun: changes.dryRun,
      steps: changes.steps,
      notices: changes.notices,
      unitText,
    };
    ctx.out(JSON.stringify(summary));
    return;
  }
  ctx.out(
    `${changes.dryRun ? 'would install' : 'installed'} ${target.mode} unit ${target.unitName} (runs as ${target.user}, TEND_HOME=${target.home})`,
  );
  if (changes.dryRun) ctx.out(unitText);
  printChanges(changes, ctx.out);
  if (r.bootReady)
    ctx.out(
      `At boot: tend starts and resurrects the saved apps (\`tend save\` updates them). Remove with: tend unstartup${target.mode === 'system' && target.user !== 'root' ? ` --user ${target.user}` : ''}`,
    );
}

/** bin/tend of this installation. */
const launcherPath = (): string => packageFile(import.meta.url, '../bin/tend');

/**
 * A daemon started by a tend command (not by the unit) holds the home's lock, so the unit's
 * daemon could not start: ask it to exit (apps keep running) and let the unit's daemon adopt them.
 */
async function handOver(target: BootTarget, changes: BootChanges): Promise<void> {
  const client = await connectIfRunning(tendPaths(target.home));
  if (client === null) return;
  try {
    const pid = client.daemonPid;
    if (pid !== null && String(pid) === changes.query(changes.systemctl('show', '-p', 'MainPID', '--value', target.unitName))) return;
    const { apps } = await client.call('daemon.shutdown', {});
    if (pid !== null) await waitForExit(pid);
    changes.steps.push({
      action: 'handover',
      what: `daemon ${pid ?? '?'} (started outside systemd) exited; its ${apps} app(s) keep running for the unit's daemon to adopt`,
      ok: true,
    });
  } finally {
    client.close();
  }
}
