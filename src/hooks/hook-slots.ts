/** A hook to run: it calls `done` exactly once when it has finished (or was cut off). */
export type HookJob = (done: () => void) => void;

interface Endpoint {
  running: number;
  queue: HookJob[];
}

export interface HookSlotLimits {
  /** Hooks running at once, all endpoints together. */
  maxRunning: number;
  /** Hooks running at once for one endpoint (one URL's host, one app's command). */
  perEndpoint: number;
  /** Hooks waiting for one endpoint; past it, new ones are skipped. */
  queuePerEndpoint: number;
}

/**
 * Fair slots for hooks: one slow endpoint holds at most `perEndpoint` of the `maxRunning` slots,
 * so it can never silence the others. A hook that finds no slot waits in its endpoint's bounded
 * queue (the hooks before it end at their deadline at the latest) and the queues are served in
 * turn; only when its own endpoint's queue is full is a hook skipped.
 */
export class HookSlots {
  private running = 0;
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(private readonly limits: HookSlotLimits) {}

  /** 'started' or 'queued' (it will run), or 'skipped' (its endpoint has too many waiting). */
  submit(key: string, job: HookJob): 'started' | 'queued' | 'skipped' {
    const ep = this.endpoints.get(key) ?? { running: 0, queue: [] };
    this.endpoints.set(key, ep);
    if (ep.queue.length === 0 && this.canStart(ep)) {
      this.start(key, ep, job);
      return 'started';
    }
    if (ep.queue.length >= this.limits.queuePerEndpoint) {
      this.forget(key, ep);
      return 'skipped';
    }
    ep.queue.push(job);
    return 'queued';
  }

  get active(): number {
    return this.running;
  }

  private canStart(ep: Endpoint): boolean {
    return this.running < this.limits.maxRunning && ep.running < this.limits.perEndpoint;
  }

  private start(key: string, ep: Endpoint, job: HookJob): void {
    this.running += 1;
    ep.running += 1;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      this.running -= 1;
      ep.running -= 1;
      this.forget(key, ep);
      this.pump();
    };
    try {
      job(done);
    } catch {
      done();
    }
  }

  /** Starts waiting hooks, one endpoint after another, while slots are free. */
  private pump(): void {
    let started = true;
    while (started && this.running < this.limits.maxRunning) {
      started = false;
      for (const [key, ep] of [...this.endpoints]) {
        if (ep.queue.length === 0 || !this.canStart(ep)) continue;
        const job = ep.queue.shift() as HookJob;
        // Served in turn: the endpoint goes to the back of the line.
        this.endpoints.delete(key);
        this.endpoints.set(key, ep);
        this.start(key, ep, job);
        started = true;
        if (this.running >= this.limits.maxRunning) return;
      }
    }
  }

  private forget(key: string, ep: Endpoint): void {
    if (ep.running === 0 && ep.queue.length === 0) this.endpoints.delete(key);
  }
}
