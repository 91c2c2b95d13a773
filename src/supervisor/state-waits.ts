import type { AppSpec } from '../protocol/app-spec.js';
import { failedDependency, unmetDependency } from './dependencies.js';
import type { ProcessHandle } from './process-handle.js';
import type { ProcessState } from './process-machine.js';

type Waiter = { done: (s: ProcessState) => boolean; resolve: () => void };

/** Commands waiting for an app to reach a state, by app: a change looks at its own app's only. */
export class StateWaiters {
  private readonly waiters = new Map<ProcessHandle, Set<Waiter>>();

  /** Resolves when the handle's state satisfies `done` (checked after every change). */
  waitFor(handle: ProcessHandle, done: (s: ProcessState) => boolean): Promise<void> {
    if (done(handle.state)) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(handle);
      if (set === undefined) this.waiters.set(handle, (set = new Set()));
      set.add({ done, resolve });
    });
  }

  /** The handle changed: resolve whoever waited for its new state. */
  changed(handle: ProcessHandle): void {
    const set = this.waiters.get(handle);
    if (set === undefined) return;
    for (const w of set) {
      if (w.done(handle.state)) {
        set.delete(w);
        w.resolve();
      }
    }
    if (set.size === 0) this.waiters.delete(handle);
  }
}

/**
 * Apps in `waiting` (their `depends_on` unmet). Kept as a set, so a change costs O(1) when none
 * waits; after any change the waiting ones are looked at once (in a microtask): started when
 * their dependencies are met, their reason refreshed otherwise.
 */
export class DependencyWaits {
  private readonly waiting = new Set<ProcessHandle>();
  private queued = false;

  constructor(private readonly byName: (name: string) => ProcessHandle | undefined) {}

  /** What the app still waits for, or null. */
  unmet(spec: AppSpec): string | null {
    if (spec.dependsOn === undefined) return null;
    return unmetDependency(spec, this.byName);
  }

  /** After any change of `handle`. */
  changed(handle: ProcessHandle, deleted: boolean): void {
    if (handle.state === 'waiting' && !deleted) this.waiting.add(handle);
    else this.waiting.delete(handle);
    if (this.waiting.size > 0) this.release();
  }

  /** After a restore (handles built without a change each): collects the apps that wait. */
  collect(handles: Iterable<ProcessHandle>): void {
    for (const h of handles) if (h.state === 'waiting') this.waiting.add(h);
    if (this.waiting.size > 0) this.release();
  }

  private release(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      for (const h of [...this.waiting]) {
        if (h.state !== 'waiting') continue;
        const failed = h.spec.dependsOn === undefined ? null : failedDependency(h.spec, this.byName);
        if (failed !== null) {
          h.dispatch({ type: 'stop', reason: failed });
          continue;
        }
        const unmet = this.unmet(h.spec);
        if (unmet === null) h.dispatch({ type: 'start' });
        else if (unmet !== h.snapshot.reason) h.dispatch({ type: 'wait', reason: unmet });
      }
    });
  }
}

/** Adopted processes are not our children: their death is seen by polling /proc. */
export class AdoptedPoller {
  private readonly adopted = new Set<ProcessHandle>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly everyMs: number) {}

  watch(handle: ProcessHandle, on: boolean): void {
    if (on) this.adopted.add(handle);
    else this.adopted.delete(handle);
    if (this.adopted.size > 0 && this.timer === null && !this.closed) {
      this.timer = setInterval(() => {
        for (const h of [...this.adopted]) h.checkAdopted();
      }, this.everyMs);
    } else if (this.adopted.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
