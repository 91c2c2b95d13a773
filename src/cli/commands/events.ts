import type { ProcessStateEvent } from '../../protocol/events.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { followAcrossDaemons } from '../follow-daemon.js';

const EVENTS_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const events: Command = {
  options: EVENTS_OPTIONS,
  help: `
Synopsis
  tend events [name|id|all ...] [--json]

Options
  --json    one JSON object per line (the protocol's event: type, time, info, previous, deleted)

Exit codes
  0 ok (Ctrl-C, or the daemon went away and none came back); 1 unknown app; 2 bad usage; 3 daemon unreachable

Notes
  Prints every change of state (launching, online, stopping, stopped, waiting-restart, errored,
  deleted) as it happens, one line per event, until interrupted. Without targets it follows every
  app, including apps started later. A reader that cannot keep up is disconnected with a message.
  It follows on across \`tend daemon restart\` (and says so).`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, EVENTS_OPTIONS, 'events');
    const targets = positionals.length > 0 ? positionals : ['all'];
    await followAcrossDaemons(
      ctx,
      await ctx.client(),
      async (c) => {
        for (const target of targets) await c.call('events.subscribe', { target, types: ['process:state'] });
      },
      (event) => {
        if (event.type === 'process:state') ctx.out(values.json === true ? JSON.stringify(event) : formatStateEvent(event));
        else if (event.type === 'subscription:dropped') ctx.err(`tend: the daemon stopped sending events: ${event.reason}`);
      },
    );
    return 0;
  },
};

/** `2026-01-01T10:00:00.000Z api[0] online (was launching) pid 1234` */
export function formatStateEvent(e: ProcessStateEvent): string {
  const i = e.info;
  const status = e.deleted ? 'deleted' : i.status;
  const parts = [new Date(e.time).toISOString(), `${i.name}[${i.id}]`, status];
  if (e.previous !== null && !e.deleted) parts.push(`(was ${e.previous})`);
  if (i.pid !== null && i.status === 'online') parts.push(`pid ${i.pid}`);
  if (i.lastExit !== null && (i.status === 'waiting-restart' || i.status === 'errored' || i.status === 'stopped')) {
    parts.push(
      i.lastExit.signal !== null
        ? `exit by ${i.lastExit.signal}`
        : i.lastExit.code !== null
          ? `exit code ${i.lastExit.code}`
          : 'exit unknown',
    );
  }
  if (i.restarts > 0) parts.push(`restarts ${i.restarts}`);
  if (i.reason !== null) parts.push(`— ${i.reason}`);
  return parts.join(' ');
}
