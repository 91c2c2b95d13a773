import { after, before, it } from 'node:test';

type TestFn = () => void | Promise<void>;

/** True in CI (CI=true): there, a missing tool is a broken runner, not a reason to skip. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Tests that need a tool (tmux, a systemd lab, systemd-analyze). When `missing` says why it is
 * not there, each test is skipped one by one, so the runner's totals count them (a skipped
 * `describe` on Node 20 prints `# SKIP` and counts nothing); under CI=true each fails with the
 * reason instead. Hooks run only when the tool is there.
 */
export interface Requirement {
  readonly missing: string | null;
  it(name: string, fn: TestFn): void;
  before(fn: TestFn): void;
  after(fn: TestFn): void;
}

export function needs(missing: string | null): Requirement {
  return {
    missing,
    it(name, fn) {
      if (missing === null) it(name, fn);
      else if (IN_CI) it(name, () => { throw new Error(`missing under CI=true: ${missing}`); });
      else it(name, { skip: missing }, fn);
    },
    before(fn) {
      if (missing === null) before(fn);
    },
    after(fn) {
      if (missing === null) after(fn);
    },
  };
}
