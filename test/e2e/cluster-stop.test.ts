import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

describe('cluster stop: shutdown_with_message and kill_timeout', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-cluster-stop-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const workers = async (name: string): Promise<Row[]> => {
    const rows = ((await t.list()) as Row[]).filter((r) => r.name === name);
    for (const r of rows) t.remember(r);
    for (const r of rows) if (typeof r.holderPid === 'number') t.track(r.holderPid);
    return rows;
  };

  it('shutdown_with_message: each worker gets the shutdown message (not a signal) and leaves on it', async () => {
    const mark = join(dir, 'marks');
    const port = await freePort();
    await t.json([
      'start',
      fixture('cluster-stubborn.js'),
      '--name',
      'polite',
      '-i',
      '2',
      '--shutdown-with-message',
      '--kill-timeout',
      '60s',
      '--env',
      `PORT=${port}`,
      '--env',
      `MARK_FILE=${mark}`,
    ]);
    const rows = await waitFor(async () => {
      const r = await workers('polite');
      return r.length === 2 && r.every((w) => w.status === 'online' && typeof w.pid === 'number') ? r : undefined;
    }, 'two online workers');
    const r = await t.run(['stop', 'polite']);
    assert.equal(r.code, 0, r.stderr);
    // The workers ignore SIGINT/SIGTERM and the grace period is 60 s: they are gone because they
    // received the message, and each wrote its pid on the way out.
    const marked = readFileSync(mark, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[0]))
      .sort();
    assert.deepEqual(marked, rows.map((w) => w.pid as number).sort());
    for (const w of rows) assert.equal(isAlive(w.pid as number), false);
  });

  it('kill_timeout: workers that ignore the stop signal are killed once the grace period ends', async () => {
    const mark = join(dir, 'never');
    const port = await freePort();
    await t.json([
      'start',
      fixture('cluster-stubborn.js'),
      '--name',
      'stubborn',
      '-i',
      '2',
      '--kill-timeout',
      '1s',
      '--env',
      `PORT=${port}`,
      '--env',
      `MARK_FILE=${mark}`,
    ]);
    const rows = await waitFor(async () => {
      const r = await workers('stubborn');
      return r.length === 2 && r.every((w) => w.status === 'online' && typeof w.pid === 'number') ? r : undefined;
    }, 'two online workers');
    const r = await t.run(['stop', 'stubborn']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => rows.every((w) => !isAlive(w.pid as number)), 'the stubborn workers to be killed');
    assert.equal(existsSync(mark), false, 'no shutdown message was sent');
    const after = await workers('stubborn');
    assert.ok(
      after.every((w) => w.status === 'stopped' && w.pid === null),
      JSON.stringify(after),
    );
  });
});
