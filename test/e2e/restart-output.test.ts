import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAllLogText } from '../helpers/log-files.js';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

/** The pids whose lines are in the log, with how many lines each wrote. */
function linesByPid(text: string): Map<number, number[]> {
  const seen = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m === null) continue;
    const pid = Number(m[1]);
    const list = seen.get(pid) ?? [];
    list.push(Number(m[2]));
    seen.set(pid, list);
  }
  return seen;
}

describe('output of restarted apps keeps reaching the log', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('every one of 50 restarts under output logs its own lines, in order, none doubled', async () => {
    const log = join(t.home, 'logs', 'talker-out.log');
    const [first] = await t.json<ProcessJson[]>(['start', fixture('pid-lines.js'), '--name', 'talker']);
    const pids = [first?.pid as number];
    await waitFor(() => (linesByPid(readAllLogText(log)).get(pids[0] as number)?.length ?? 0) >= 3, 'the first run to log');
    for (let i = 0; i < 50; i++) {
      const [next] = await t.json<ProcessJson[]>(['restart', 'talker']);
      const pid = next?.pid as number;
      assert.ok(!pids.includes(pid), `restart ${i + 1} has a new pid`);
      pids.push(pid);
      // Lines of the new run arrive, and keep arriving (a dead reader would show the first chunk at most).
      await waitFor(
        () => (linesByPid(readAllLogText(log)).get(pid)?.length ?? 0) >= 3,
        `lines of run ${i + 1} (pid ${pid}) in the log`,
        5000,
      );
    }
    const seen = linesByPid(readAllLogText(log));
    for (const pid of pids) {
      const ns = seen.get(pid) ?? [];
      assert.ok(ns.length >= 3, `pid ${pid} logged ${ns.length} lines`);
      assert.deepEqual(
        ns,
        ns.map((_, k) => k + 1),
        `pid ${pid}'s lines are 1..n in order, none lost or doubled`,
      );
    }
  });
});
