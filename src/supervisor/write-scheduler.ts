import { monotonicMs } from '../lib/monotonic.js';
import { SpacingBudget } from '../lib/spacing-budget.js';

/** At most one write per this while changes keep coming (a bulk command). */
const PERSIST_INTERVAL_MS = 50;
/** ... and at least this many times what the last write cost, so writing stays a small share. */
const PERSIST_GAP_PER_COST = 20;
/**
 * Spacing owed by earlier writes that an answer does not wait for: a lone command (one `restart`:
 * one write when the app stops, one when it is back) is answered at once, where waiting 20 times
 * a 1–2 ms write made it 20–40 ms slower; a bulk command runs out of this after a few writes.
 */
const ANSWER_BURST_MS = 100;

/**
 * When state.json and status.json are rewritten. Each write holds every app, so one per change
 * would make a `restart all` of 1,000 apps quadratic:
 * - a change is written on a later turn, at most once per PERSIST_INTERVAL_MS while changes keep
 *   coming, and spaced by what the last write cost;
 * - a command's answer waits for a write that holds it, so a `tend list` right after sees the
 *   same and the state's backup is never more than a command behind. Every answer due in the
 *   same stretch (300 pipelined `start`s from one file, whose spawns finish over many turns on
 *   libuv's pool) shares one write, spaced by cost too: under 1 ms with a few apps.
 */
export class WriteScheduler {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private lastAt = 0;
  private lastCostMs = 0;
  private readonly answers: SpacingBudget;
  private waiters: Array<() => void> = [];
  /** The pending answer flush, and whether it waits out spacing (else it runs on the next turn). */
  private answerTimer: { cancel(): void; spaced: boolean } | null = null;
  /** flush wrote the state; the status file follows on the next turn. */
  private statusPending = false;
  private closed = false;

  constructor(
    private readonly write: { state(): void; status(): void },
    private readonly now: () => number,
    /** What a write cost is measured with (fractional ms). */
    clock: () => number = monotonicMs,
    /** More changes are on their way (spawns under way): answers keep to the spacing meanwhile. */
    private readonly settling: () => boolean = () => true,
  ) {
    this.answers = new SpacingBudget(PERSIST_GAP_PER_COST, ANSWER_BURST_MS, clock);
  }

  /** Something changed: written on a later turn. */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer !== null) return;
    const waitMs = this.lastAt + Math.max(PERSIST_INTERVAL_MS, this.lastCostMs * PERSIST_GAP_PER_COST) - this.now();
    this.timer = setTimeout(() => this.flush(), Math.max(0, waitMs));
  }

  /** Writes both files now (a command that changed apps without a state event). */
  writeNow(): void {
    if (this.closed) return;
    this.cancel();
    this.dirty = false;
    this.timed(() => {
      this.write.state();
      this.write.status();
    });
  }

  /**
   * Calls `then` after a write that holds every change made so far: at once while the spacing
   * owed stays within ANSWER_BURST_MS, then spaced by cost like every other write while more
   * changes are on their way (`settling`), at once again when none is.
   */
  afterWrite(then: () => void): void {
    this.waiters.push(then);
    // Spacing owed by a bulk command is waited out only while it goes on (spawns under way): the
    // answers of its last apps are not held back once nothing more is coming.
    const waitMs = this.answers.waitMs() >= 1 && this.settling() ? this.answers.waitMs() : 0;
    if (this.answerTimer !== null) {
      if (waitMs >= 1 || this.answerTimer.spaced === false) return;
      this.answerTimer.cancel();
    }
    const flush = (): void => {
      this.answerTimer = null;
      const waiters = this.waiters;
      this.waiters = [];
      const answer = (): void => {
        for (const w of waiters) w();
      };
      if (this.dirty) this.flush(answer);
      else if (this.statusPending) setImmediate(answer);
      else {
        if (!this.closed) this.write.status();
        answer();
      }
    };
    if (waitMs >= 1) {
      const timer = setTimeout(flush, waitMs);
      this.answerTimer = { cancel: () => clearTimeout(timer), spaced: true };
    } else {
      const immediate = setImmediate(flush);
      this.answerTimer = { cancel: () => clearImmediate(immediate), spaced: false };
    }
  }

  /** Daemon shutdown: no more writes from here. */
  close(): void {
    this.closed = true;
    this.cancel();
  }

  /** The state now, the status file on the next turn (each is tens of ms with 1,000 apps). */
  private flush(then?: () => void): void {
    this.cancel();
    if (!this.dirty || this.closed) {
      then?.();
      return;
    }
    this.dirty = false;
    this.timed(() => this.write.state());
    this.statusPending = true;
    setImmediate(() => {
      this.statusPending = false;
      if (!this.closed) this.timed(() => this.write.status(), true);
      then?.();
    });
  }

  /** Runs a write and keeps what it cost (`add`: the second half of the same flush). */
  private timed(fn: () => void, add = false): void {
    const cost = this.answers.run(fn);
    this.lastCostMs = add ? this.lastCostMs + cost : cost;
    this.lastAt = this.now();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
