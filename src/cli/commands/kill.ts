import { findHomeRuns } from '../../supervisor/run-finder.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { waitForExit } from '../wait-exit.js';

const KILL_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const kill: Command = {
  options: KILL_OPTIONS,
  help: `
Synopsis
  tend kill [--json]

Notes
  Stops every app (as \`tend stop all\` does), forgets them, and stops the daemon. With no
  daemon running, apps of this home may still run (left by \`tend daemon stop\` or by a daemon
  that was killed): then a daemon is started to take them over and stop them; with none, no
  daemon is started. To replace only the daemon and keep apps running, use
  \`tend daemon restart\`. What \`tend save\` wrote is never touched.

Exit codes
  0 done (or nothing was running); 1 failed`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, KILL_OPTIONS, 'kill');
    // Processes of this home carry its tag in their run token: any left running means a daemon
    // must take them over to stop them (it adopts them exactly as any command's daemon would).
    const client = (await ctx.clientIfRunning()) ?? (findHomeRuns(ctx.paths.homeTag).size > 0 ? await ctx.client() : null);
    if (client === null) {
      ctx.out(values.json === true ? JSON.stringify({ stopped: 0, daemon: null }) : 'no daemon running');
      return 0;
    }
    const result = await client.call('daemon.kill', {});
    const pid = client.daemonPid;
    if (pid !== null) await waitForExit(pid);
    ctx.out(
      values.json === true
        ? JSON.stringify({ stopped: result.stopped, daemon: pid })
        : `stopped ${result.stopped} app(s) and the daemon (pid ${pid})`,
    );
    return 0;
  },
};
