import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpacingBudget } from '../../src/lib/spacing-budget.js';

describe('SpacingBudget: recurring work spaced by its cost, a lone run at once', () => {
  it('lets runs through at once until what they owe passes the burst, then spaces them by cost', () => {
    let now = 0;
    const budget = new SpacingBudget(20, 100, () => now);
    const run = (cost: number): void => {
      budget.run(() => (now += cost));
    };
    run(2); // owes 40 ms
    assert.equal(budget.waitMs(), 0);
    run(2); // 80 (less the 2 ms it took)
    assert.equal(budget.waitMs(), 0);
    run(2);
    assert.equal(budget.waitMs(), 16, 'owes 116 ms, 16 beyond the burst');
    now += 16;
    run(2);
    assert.equal(budget.waitMs(), 38, 'spaced by 20 × the cost from here on');
  });

  it('pays back as time passes, so a run after a pause is free again', () => {
    let now = 0;
    const budget = new SpacingBudget(3, 30, () => now);
    budget.charge(50);
    assert.equal(budget.waitMs(), 120);
    now += 100;
    assert.equal(budget.waitMs(), 20);
    now += 1000;
    assert.equal(budget.waitMs(), 0);
    budget.charge(5);
    assert.equal(budget.waitMs(), 0, 'the pause left nothing owed');
  });
});
