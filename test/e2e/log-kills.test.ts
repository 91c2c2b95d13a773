import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, waitFor } from '../helpers/tend.js';
import { killDuringFlood } from '../helpers/flood-kills.js';
import { numberedGaps, readAllLogText } from '../helpers/log-files.js';

/** Lines per app: long enough that the kills land while the apps still write (they wait on a full pipe while no daemon runs). */
const COUNT = { raw: 2_000_000, stamped: 1_000_000, records: 300_000 };
const KILLS = 15;

/** "line N" messages of a json log, in file order. */
function jsonMessages(text: string): string {
  return (
    text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => (JSON.parse(l) as { message: string }).message)
      .join('\n') + '\n'
  );
}

describe('daemon kill -9s during a full-speed flood', () => {
  const t = new TendHome();
  after(() => t.cleanup());

  it('every line lands exactly once: raw logs with rotation, --time, and json', async () => {
    const flood = (count: number, burst: number): string[] => [
      '--env',
      `COUNT=${count}`,
      '--env',
      `BURST=${burst}`,
      '--env',
      'INTERVAL_MS=1',
    ];
    await t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'raw',
      ...flood(COUNT.raw, 1000),
      '--log-max-size',
      '512K',
      '--log-retain',
      '10000',
    ]);
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'stamped', ...flood(COUNT.stamped, 500), '--time']);
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'records', ...flood(COUNT.records, 100), '--log-type', 'json']);
    const files = {
      raw: join(t.home, 'logs', 'raw-out.log'),
      stamped: join(t.home, 'logs', 'stamped-out.log'),
      records: join(t.home, 'logs', 'records-out.log'),
    };
    const kills = await killDuringFlood(t, files.raw, (text) => text.endsWith(`line ${COUNT.raw}\n`), KILLS, 150);
    assert.ok(kills >= 5, `only ${kills} kills happened before the flood ended: make it longer`);
    for (const [name, file] of Object.entries(files)) {
      const text = await waitFor(
        () => {
          const all = readAllLogText(file);
          const body = name === 'records' ? jsonMessages(all) : all;
          return body.endsWith(`line ${COUNT[name as keyof typeof COUNT]}\n`) ? body : undefined;
        },
        `${name}: the last line`,
        60_000,
      );
      const r = numberedGaps(text);
      assert.equal(r.error, null, `${name}: ${String(r.error)}`);
      assert.deepEqual(r.gaps, [], `${name}: lines lost after ${kills} kills: ${JSON.stringify(r.gaps.slice(0, 5))}`);
      assert.equal(r.count, COUNT[name as keyof typeof COUNT], `${name}: ${r.count} lines`);
    }
  });
});
