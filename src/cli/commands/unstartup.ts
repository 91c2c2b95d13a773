import { existsSync } from 'node:fs';
import { BootChanges, userManagerSocket, wantsLink } from '../../boot/boot-install.js';
import { printChanges } from '../../boot/print-changes.js';
import { BOOT_UNIT_OPTIONS, bootUnitTarget } from '../boot-unit-flags.js';
import { parseFlagsOnly, type CliContext, type Command } from '../context.js';

export const unstartup: Command = {
  options: BOOT_UNIT_OPTIONS,
  help: `
Synopsis
  tend unstartup [--user NAME] [--rootless] [--dry-run] [--json]

Options
  --user NAME  (root) remove tend-NAME.service (default: tend-root.service)
  --rootless   remove ~/.config/systemd/user/tend.service; the default when not root
  --dry-run    print the commands, change nothing
  --json       print {mode, unit, file, removed, steps, notices}

Exit codes
  0 removed, or nothing was installed; 1 a step failed; 2 bad usage

Notes
  Disables and stops the unit, deletes its file and reloads systemd. Stopping the unit ends
  only the daemon: apps keep running, and for your own TEND_HOME a new daemon is started right
  away (outside systemd) to adopt them. The saved set (dump.json) and lingering are left as
  they are (\`loginctl disable-linger\` turns lingering off).`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const values = parseFlagsOnly(argv, BOOT_UNIT_OPTIONS, 'unstartup');
    const target = bootUnitTarget(values, ctx);
    const changes = new BootChanges(target, values['dry-run'] === true, ctx.env);
    const installed = existsSync(target.unitFile);
    const socket = userManagerSocket(target);
    const managerUp = socket === null || existsSync(socket);
    try {
      if (installed && managerUp) changes.run(changes.systemctl('disable', '--now', target.unitName));
      changes.remove(wantsLink(target));
      changes.remove(target.unitFile);
      if (installed && managerUp) {
        changes.run(changes.systemctl('daemon-reload'));
        changes.run(changes.systemctl('reset-failed', target.unitName), true);
      }
      if (installed && !managerUp) changes.notices.push(`no user manager answers at ${socket}; the files are removed, nothing was running`);
      // Apps outlived the unit's daemon; supervise them again at once when the home is ours.
      if (installed && !changes.dryRun && target.home === ctx.paths.home) {
        const client = await ctx.client();
        const list = await client.call('process.list', {});
        changes.notices.push(`daemon ${client.daemonPid ?? '?'} (outside systemd) now supervises ${list.length} app(s)`);
      }
    } catch (err) {
      if (values.json !== true) printChanges(changes, ctx.out);
      throw err;
    }
    if (values.json === true) {
      ctx.out(
        JSON.stringify({
          mode: target.mode,
          unit: target.unitName,
          file: target.unitFile,
          removed: installed,
          dryRun: changes.dryRun,
          steps: changes.steps,
          notices: changes.notices,
        }),
      );
    } else if (!installed) ctx.out(`no boot unit installed (${target.unitFile} does not exist); nothing to do`);
    else {
      ctx.out(`${changes.dryRun ? 'would remove' : 'removed'} ${target.mode} unit ${target.unitName}`);
      printChanges(changes, ctx.out);
    }
    return 0;
  },
};
