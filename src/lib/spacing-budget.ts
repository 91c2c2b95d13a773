import { monotonicMs } from './monotonic.js';

/**
 * Keeps a recurring cost (a state write, a /proc scan) to a share of the time while it keeps
 * recurring, without delaying a lone one: each run owes `gapPerCost` × its cost in spacing, paid
 * back as time passes, and the next run waits only for what is owed beyond `burstMs`. A single
 * command runs at once; a bulk one is spaced by cost after its first few runs.
 */
export class SpacingBudget {
  private owed = 0;
  private at = 0;

  constructor(
    private readonly gapPerCost: number,
    private readonly burstMs: number,
    private readonly clock: () => number = monotonicMs,
  ) {}

  /** Runs `fn`, charges what it cost, and returns that cost in ms. */
  run(fn: () => void): number {
    const started = this.clock();
    fn();
    const cost = this.clock() - started;
    this.charge(cost);
    return cost;
  }

  /** Charges a run that cost `costMs` (for work measured elsewhere, such as a read over turns). */
  charge(costMs: number): void {
    this.owed = this.owedNow() + costMs * this.gapPerCost;
    this.at = this.clock();
  }

  /** How long the next run should wait (0: now). */
  waitMs(): number {
    return Math.max(0, this.owedNow() - this.burstMs);
  }

  private owedNow(): number {
    return Math.max(0, this.owed - (this.clock() - this.at));
  }
}
