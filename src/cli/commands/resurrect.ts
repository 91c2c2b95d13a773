import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlagsOnly, type CliContext, type Command, type Options } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';
import { appCount } from './save.js';

const RESURRECT_OPTIONS = { boot: { type: 'boolean' }, json: { type: 'boolean' } } satisfies Options;

export const resurrect: Command = {
  options: RESURRECT_OPTIONS,
  help: `
Synopsis
  tend resurrect [--boot] [--json]

Options
  --boot   once per boot: do nothing when this boot already resurrected (used by the unit
           \`tend startup\` installs; the marker lives in systemd's $RUNTIME_DIRECTORY, which a
           reboot empties)
  --json   print {apps, source, notices} as JSON

Exit codes
  0 done (also when nothing was saved); 1 an app could not be started or is errored, or the
  saved list and its backup are both unreadable; 3 daemon unreachable

Notes
  Starts every app of TEND_HOME/dump.json (written by \`tend save\`) that is not already
  running, with the spec and environment it was saved with. A running app of the same name is
  left alone. When dump.json is missing, truncated or corrupt, dump.json.bak is used and a
  notice says so; when both are unreadable nothing is started and nothing is changed.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const values = parseFlagsOnly(argv, RESURRECT_OPTIONS, 'resurrect');
    const json = values.json === true;
    const marker = values.boot === true ? bootMarker(ctx.env) : null;
    if (marker !== null && existsSync(marker)) {
      ctx.out(
        json
          ? JSON.stringify({ apps: [], source: null, notices: [`already resurrected during this boot (${marker})`] })
          : `already resurrected during this boot (${marker}); nothing to do`,
      );
      return 0;
    }
    const result = await (await ctx.client()).call('dump.resurrect', {});
    if (marker !== null) {
      // Only an optimisation (a second resurrect in the same boot does nothing): a full disk must not fail the boot.
      try {
        writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
      } catch (err) {
        ctx.err(`tend: warning: could not write ${marker}: ${(err as Error).message}`);
      }
    }
    if (json) ctx.out(JSON.stringify(result));
    else {
      const from = result.source === 'backup' ? ctx.paths.dumpBackup : ctx.paths.dumpFile;
      const apps = result.started ?? new Set(result.apps.map((a) => a.name)).size;
      ctx.out(
        result.apps.length > 0
          ? `started ${appCount(apps, result.apps.length).replace('app(s)', 'saved app(s)')} from ${from}:\n${renderProcessTable(result.apps, ctx.isTTY)}`
          : 'started no app',
      );
      for (const notice of result.notices) ctx.out(`  ${notice}`);
    }
    const failed = result.apps.some((a) => a.status === 'errored') || result.notices.some((n) => n.includes('could not be started'));
    return failed ? 1 : 0;
  },
};

/** The unit's RuntimeDirectory (/run/…, emptied by a reboot) remembers that this boot resurrected. */
function bootMarker(env: NodeJS.ProcessEnv): string | null {
  const dir = env.RUNTIME_DIRECTORY?.split(':')[0];
  return dir === undefined || dir === '' ? null : join(dir, 'resurrected');
}
