import { environmentLine, escapeSpecifiers, execLine, renderUnit, type UnitSection } from '../lib/systemd-syntax.js';

export interface BootUnitOptions {
  /** The tend launcher (bin/tend, `#!/usr/bin/env node`), absolute. */
  tendBin: string;
  home: string;
  /** PATH the unit runs with: where `/usr/bin/env node` finds Node at every start. */
  path: string;
  /** System units only: the account the daemon and its apps run as. */
  user: string | null;
  rootless: boolean;
  /** The unit's RuntimeDirectory= name (relative to /run, or to $XDG_RUNTIME_DIR for user units). */
  runtimeDir: string;
  generator: string;
}

/**
 * The unit that runs tend's daemon at boot. Each choice and why:
 * - Type=notify + NotifyAccess=all: `tend daemon run` reports readiness (socket bound, previous
 *   apps adopted) through systemd-notify, a helper process, hence NotifyAccess=all. No pid file,
 *   no Type=forking guess.
 * - ExecStart runs bin/tend, whose `#!/usr/bin/env node` finds Node through the PATH captured
 *   at install: upgrading Node in place (apt, n, a symlinked nvm alias) needs no new unit.
 * - ExecStartPost=tend resurrect --boot: the saved set is started once the daemon is ready, and
 *   only once per boot (the marker lives in RuntimeDirectory=, emptied by a reboot), so a
 *   `systemctl restart` or a daemon crash does not start apps the user has stopped since.
 *   The unit is active only when the saved apps are up, so units ordered after it see them.
 * - KillMode=process: `systemctl stop|restart` ends only the daemon; apps keep running and the
 *   next daemon adopts them (DESIGN.md §2). ExecStop stops the apps themselves, gracefully and
 *   with their own kill_signal/kill_timeout, only when the whole manager is going down
 *   (shutdown, reboot, or the user manager's end), so the next boot starts the saved set clean.
 *   In system units ExecStop runs as root ("+"): `systemctl` as User= would go through D-Bus,
 *   which may be gone by then (seen in the lab: the apps were then killed, not stopped).
 * - ExecStartPre=tend daemon stop: a daemon launched outside systemd on the same home (by a
 *   tend command, or `tend daemon restart`, whose new daemon is the CLI's child) would hold the
 *   home's lock and make `daemon run` exit before readiness; it is asked to exit (apps keep
 *   running) so the unit's daemon adopts them. `systemctl restart <unit>` thus always recovers.
 * - OOMPolicy=continue: the kernel killing one app for memory must not stop the unit.
 * - Restart=on-failure: a crashed daemon comes back and adopts the apps; `tend kill` (exit 0)
 *   is respected.
 */
export function renderBootUnit(o: BootUnitOptions): string {
  const tend = (...args: string[]): string => execLine([o.tendBin, ...args]);
  const systemctl = o.rootless ? 'systemctl --user' : 'systemctl';
  // A User= unit's ExecStop runs as root ("+", below) but `tend kill` must run as the home's
  // owner: tend refuses a home its caller does not own (so root never acts on another user's files).
  const asOwner = o.user !== null && !o.rootless;
  const kill = asOwner ? 'PATH="$PATH:/usr/sbin:/sbin" exec runuser -u "$1" -- "$0" kill' : 'exec "$0" kill';
  const stopScript = `if [ "$(${systemctl} is-system-running 2>/dev/null)" = stopping ]; then ${kill}; fi`;
  const unit: string[] = [`Description=${escapeSpecifiers(`tend process manager (TEND_HOME=${o.home})`)}`];
  if (!o.rootless) unit.push('After=network.target');
  const service: string[] = ['Type=notify', 'NotifyAccess=all'];
  if (o.user !== null && !o.rootless) service.push(`User=${escapeSpecifiers(o.user)}`);
  service.push(
    environmentLine('PATH', o.path),
    environmentLine('TEND_HOME', o.home),
    '# A daemon started by a tend command (e.g. `tend daemon restart`) holds the home: hand it over, apps untouched.',
    `ExecStartPre=-${tend('daemon', 'stop')}`,
    `ExecStart=${tend('daemon', 'run')}`,
    '# "-": a resurrect problem is reported in the journal but does not fail the daemon.',
    `ExecStartPost=-${tend('resurrect', '--boot')}`,
    '# Stops the apps only when the system (or user manager) is shutting down; see `tend startup --help`.',
    ...(o.rootless ? [] : ['# "+": as root, so systemctl asks PID 1 directly (as User= it needs D-Bus, which may already be stopping).']),
    `ExecStop=${o.rootless ? '' : '+'}${execLine(['/bin/sh', '-c', stopScript, o.tendBin, ...(asOwner ? [o.user as string] : [])])}`,
    `RuntimeDirectory=${escapeSpecifiers(o.runtimeDir)}`,
    'RuntimeDirectoryPreserve=yes',
    'KillMode=process',
    'OOMPolicy=continue',
    'Restart=on-failure',
    'RestartSec=1s',
    '# Resurrect waits for every saved app to be online (wait_ready apps included).',
    'TimeoutStartSec=5min',
    'LimitNOFILE=65536',
  );
  const sections: UnitSection[] = [
    ['Unit', unit],
    ['Service', service],
    ['Install', [`WantedBy=${o.rootless ? 'default.target' : 'multi-user.target'}`]],
  ];
  return renderUnit([`${o.generator}. Remove with \`tend unstartup\`; edit by running \`tend startup\` again.`], sections);
}
