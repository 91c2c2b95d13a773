import { rmSync } from 'node:fs';
import { alternate, type Context, type Recorder } from './scenario.js';
import { withSession } from './session.js';
import { msSince, now } from './timing.js';

/**
 * The idiomatic way to start many apps, timed for each tool in turn: daemon up (untimed), then
 * one `start <file>` and `list --json` / `jlist` polled every `pollMs` until all `names` are
 * online. `dir` (where the file is) is removed at the end.
 */
export async function timeFileStart(
  ctx: Context,
  rec: Recorder,
  opts: { dir: string; file: string; names: string[]; metric: string; pollMs: number },
): Promise<void> {
  try {
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, async (s) => {
        await s.ensureDaemon();
        const start = now();
        await s.cliOk(['start', opts.file], 120_000);
        await s.waitOnline(opts.names, 120_000, opts.pollMs);
        rec.add(opts.metric, tool.name, msSince(start) / 1000);
      }),
    );
  } finally {
    rmSync(opts.dir, { recursive: true, force: true });
  }
}
