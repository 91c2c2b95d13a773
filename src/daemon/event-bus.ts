import type { DaemonEvent, SubscribableEventType } from '../protocol/events.js';

/** Hands one event to a subscriber's transport; false = the transport is full (queue the next ones). */
export type EventSend = (event: DaemonEvent) => boolean;

export interface EventFilter {
  /** null = every subscribable type. */
  types: ReadonlySet<SubscribableEventType> | null;
  /** null = every app, including apps created later. */
  ids: ReadonlySet<number> | null;
}

export interface EventSubscription {
  readonly queued: number;
  readonly closed: boolean;
  /** The transport has room again: send what is queued. */
  drain(): void;
  close(): void;
}

export interface EventBusLimits {
  /** Events queued per subscriber (while its socket is full) before it is dropped. */
  maxQueued: number;
}

interface Sub extends EventSubscription {
  filter: EventFilter;
  offer(event: DaemonEvent): void;
}

/**
 * The daemon's event stream (process:state today; the dashboard and hooks read it). Publishing
 * never waits: each subscriber has a bounded queue while its transport is full and is dropped,
 * with a reason, when it falls further behind, so a stuck client never slows supervision.
 */
export class EventBus {
  private readonly subs = new Set<Sub>();
  private readonly listeners = new Set<(event: DaemonEvent) => void>();
  private readonly limits: EventBusLimits;

  constructor(limits: Partial<EventBusLimits> = {}) {
    this.limits = { maxQueued: 1000, ...limits };
  }

  get size(): number {
    return this.subs.size;
  }

  /** In-process listener (hooks): called synchronously, must not throw or block. */
  listen(fn: (event: DaemonEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  subscribe(filter: EventFilter, send: EventSend, onDrop: (reason: string) => void): EventSubscription {
    const queue: DaemonEvent[] = [];
    let blocked = false;
    let closed = false;
    const { maxQueued } = this.limits;
    const deliver = (event: DaemonEvent): void => {
      try {
        if (!send(event)) blocked = true;
      } catch (err) {
        drop(`send failed: ${(err as Error).message}`);
      }
    };
    const drop = (reason: string): void => {
      if (closed) return;
      sub.close();
      onDrop(reason);
    };
    const sub: Sub = {
      filter,
      get queued() {
        return queue.length;
      },
      get closed() {
        return closed;
      },
      drain: () => {
        if (closed) return;
        blocked = false;
        while (!blocked && !closed && queue.length > 0) deliver(queue.shift() as DaemonEvent);
      },
      close: () => {
        if (closed) return;
        closed = true;
        queue.length = 0;
        this.subs.delete(sub);
      },
      offer: (event) => {
        if (!blocked) return deliver(event);
        queue.push(event);
        if (queue.length > maxQueued) {
          drop(
            `too slow: more than ${maxQueued} events were waiting to be sent; events are never held back for a subscriber, so it was disconnected`,
          );
        }
      },
    };
    this.subs.add(sub);
    return sub;
  }

  /** `id` is the app the event is about (for target filters), null for daemon-wide events. */
  publish(event: DaemonEvent & { type: SubscribableEventType }, id: number | null): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch {
        /* a listener's failure is its own */
      }
    }
    for (const s of [...this.subs]) {
      if (s.closed) continue;
      if (s.filter.types !== null && !s.filter.types.has(event.type)) continue;
      if (s.filter.ids !== null && (id === null || !s.filter.ids.has(id))) continue;
      s.offer(event);
    }
  }
}
