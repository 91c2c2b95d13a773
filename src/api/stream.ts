import { TendError } from '../errors.js';
import type { DaemonEvent } from '../protocol/events.js';
import type { RpcClient } from '../rpc/client.js';

/** Events buffered for a slow consumer before the socket is paused (the daemon then queues, and drops a consumer that stays behind). */
const HIGH_WATER = 1000;

/**
 * An async iterator over the events of one connection (its own: closing it ends the
 * subscription). `pick` turns an event into an item, or null to skip it. A `subscription:dropped`
 * event ends the iteration with a TendError E_SUBSCRIPTION_DROPPED; a lost daemon with
 * E_DAEMON_UNREACHABLE. `return()` (a `break` out of `for await`) closes the connection.
 */
export function subscriptionIterator<T>(
  client: RpcClient,
  pick: (event: DaemonEvent) => T | null,
  backlog: readonly T[] = [],
): AsyncIterableIterator<T> {
  const queue: T[] = [...backlog];
  let failure: Error | null = null;
  let ended = false;
  let closedByUs = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  client.onEvent((_sub, event) => {
    if (event.type === 'subscription:dropped') {
      failure = new TendError('E_SUBSCRIPTION_DROPPED', `the daemon stopped sending: ${event.reason}`, {
        hint: 'Read the iterator faster, or subscribe to fewer apps.',
      });
      notify();
      return;
    }
    const item = pick(event);
    if (item === null) return;
    queue.push(item);
    if (queue.length >= HIGH_WATER) client.pause();
    notify();
  });
  client.onClose((err) => {
    ended = true;
    if (!closedByUs && failure === null) failure = err ?? new TendError('E_DAEMON_UNREACHABLE', 'the daemon closed the connection');
    notify();
  });
  const finish = (): void => {
    if (!closedByUs) {
      closedByUs = true;
      client.close();
    }
  };
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift() as T;
          if (queue.length < HIGH_WATER / 2) client.resume();
          return { value, done: false };
        }
        if (failure !== null) {
          const err = failure;
          failure = null;
          finish();
          ended = true;
          throw err;
        }
        if (ended || closedByUs) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<T>> {
      finish();
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
