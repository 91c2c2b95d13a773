import type { DaemonEvent } from '../protocol/events.js';
import type { RpcClient } from '../rpc/client.js';
import type { CliContext } from './context.js';
import { waitForExit } from './wait-exit.js';

/** How long a follower waits for the next daemon after its daemon exited (a restart takes well under a second when idle). */
const NEXT_DAEMON_MS = 10_000;

/**
 * Follows a subscription (`tend logs`, `tend events`) until Ctrl-C, across daemon restarts: when
 * its daemon exits (`tend daemon restart`, an upgrade), it subscribes again on the next one, as
 * `pm2 logs` keeps streaming across `pm2 update`, and says so on stderr. Lines the next daemon
 * writes before the follower is back (the moment of the switch) are in the log files, not shown
 * again. It ends when no daemon is back within NEXT_DAEMON_MS (`tend daemon stop`), or when the
 * daemon dropped it as too slow (the daemon says why).
 */
export async function followAcrossDaemons(
  ctx: CliContext,
  first: RpcClient,
  subscribe: (client: RpcClient) => Promise<void>,
  onEvent: (event: DaemonEvent) => void,
): Promise<void> {
  let interrupted = false;
  let wake: () => void = () => undefined;
  process.once('SIGINT', () => {
    interrupted = true;
    wake();
  });
  let previous: number | null | undefined;
  for (let client: RpcClient | null = first; client !== null;) {
    let dropped = false;
    const closed = new Promise<void>((resolve) => {
      wake = resolve;
      client?.onClose(() => resolve());
    });
    client.onEvent((_sub, event) => {
      if (event.type === 'subscription:dropped') dropped = true;
      onEvent(event);
    });
    await subscribe(client);
    if (previous !== undefined)
      ctx.err(`tend: the daemon was replaced (pid ${previous ?? '?'} → ${client.daemonPid ?? '?'}); following again`);
    await closed;
    if (interrupted || dropped) return;
    previous = client.daemonPid;
    client = await nextDaemon(ctx, previous, () => interrupted);
    if (client === null && !interrupted)
      ctx.err(`tend: the daemon${previous === null ? '' : ` (pid ${previous})`} exited and none came back; stopped following`);
  }
}

/** The daemon that took over from `gone`, or null when none runs within NEXT_DAEMON_MS. */
async function nextDaemon(ctx: CliContext, gone: number | null, interrupted: () => boolean): Promise<RpcClient | null> {
  const deadline = Date.now() + NEXT_DAEMON_MS;
  if (gone !== null) await waitForExit(gone, NEXT_DAEMON_MS);
  while (!interrupted()) {
    const client = await ctx.clientIfRunning().catch(() => null);
    if (client !== null) return client;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}
