import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
      else if (IN_CI)
        it(name, () => {
          throw new Error(`missing under CI=true: ${missing}`);
        });
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

/** Why `command` cannot run here (it fails or is absent), or null: a reason for `needs`. */
export function commandMissing(command: string, args: string[], hint = 'scripts/test.sh installs it'): string | null {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0 ? null : `${command} is not installed (${hint})`;
}

/** Why the program at `path` is absent, or null: a reason for `needs`. */
export function fileMissing(path: string, hint = 'scripts/test.sh installs it'): string | null {
  return existsSync(path) ? null : `${path} is not installed (${hint})`;
}

/** Why this test cannot run without root, or null: a reason for `needs`. */
export function rootMissing(what: string): string | null {
  return process.getuid?.() === 0 ? null : `needs root to ${what}`;
}

/** Inside a running test: skip it for `missing`, or fail under CI=true. */
export function skipOrFail(t: { skip(message: string): void }, missing: string): void {
  if (IN_CI) throw new Error(`missing under CI=true: ${missing}`);
  t.skip(missing);
}
