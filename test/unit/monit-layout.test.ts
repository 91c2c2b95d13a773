import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeys } from '../../src/tui/monit/keys.js';
import { layout, type MonitView } from '../../src/tui/monit/layout.js';
import { Screen } from '../../src/tui/monit/screen.js';
import { sparkline } from '../../src/tui/monit/sparkline.js';
import { fit, sanitize } from '../../src/tui/monit/text.js';

const strip = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const view = (over: Partial<MonitView> = {}): MonitView => ({
  cols: 80,
  rows: 24,
  title: 'tend monit — 2 apps',
  selected: 0,
  cpu: [1, 5, 10],
  mem: [40, 41, 42],
  filter: '',
  editingFilter: false,
  logsOnly: false,
  message: '',
  apps: [
    {
      id: 0,
      name: 'api',
      status: 'online',
      pid: 10,
      restarts: 2,
      uptimeMs: 65_000,
      cpuPercent: 12.5,
      memoryBytes: 44 * 1048576,
      health: 'healthy',
    },
    {
      id: 1,
      name: 'worker-with-a-very-long-name-that-does-not-fit',
      status: 'errored',
      pid: null,
      restarts: 16,
      uptimeMs: 0,
      cpuPercent: null,
      memoryBytes: null,
    },
  ],
  logs: [
    { text: 'listening on 3000', err: false },
    { text: 'boom', err: true },
  ],
  ...over,
});

describe('monit layout', () => {
  it('fills exactly rows × cols cells at 80×24 and at other sizes', () => {
    for (const [cols, rows] of [
      [80, 24],
      [120, 40],
      [40, 10],
    ] as const) {
      const frame = layout(view({ cols, rows }));
      assert.equal(frame.length, rows);
      for (const line of frame) assert.equal([...strip(line)].length, cols, JSON.stringify(strip(line)));
    }
  });

  it('shows the apps, the selection, sparklines, logs and the keys', () => {
    const text = layout(view()).map(strip).join('\n');
    assert.match(text, /^\s+0 api\s+online\s+12\.5%\s+44\.0MB\s+2\s+1m healthy/m);
    assert.match(text, /1 worker-with-a-very-\s+errored\s+-\s+-\s+16\s+-/m);
    assert.match(text, /cpu\s+[▁-█]+ 12\.5%/);
    assert.match(text, /listening on 3000 *\n boom/);
    assert.match(text, /r restart {2}s stop\/start {2}R reload {2}l logs {2}\/ filter {2}q quit/);
    assert.ok(layout(view())[2]?.startsWith('\x1b[7m'), 'the selected row is in inverse video');
  });

  it("shows a selected job's last run and next time", () => {
    const job = {
      id: 2,
      name: 'report',
      status: 'stopped' as const,
      pid: null,
      restarts: 0,
      uptimeMs: 0,
      cpuPercent: null,
      memoryBytes: null,
      job: {
        nextRunAt: Date.now() + 60_000,
        lastRun: { startedAt: 1, durationMs: 1500, code: 0, signal: null },
        queued: false,
        skipped: 0,
        missed: 0,
      },
    };
    const text = layout(view({ apps: [job], selected: 0, cols: 120 }))
      .map(strip)
      .join('\n');
    assert.match(text, /report {2}job exit 0 in \S+, next \d\d:\d\d:\d\d/);
  });

  it('marks a watched app and a pty app as list does', () => {
    const base = { status: 'online' as const, pid: 10, restarts: 0, uptimeMs: 1000, cpuPercent: 1, memoryBytes: 1048576 };
    const text = layout(
      view({
        apps: [
          { ...base, id: 0, name: 'api', watching: true },
          { ...base, id: 1, name: 'console', pty: true },
        ],
      }),
    )
      .map(strip)
      .join('\n');
    assert.match(text, /^\s+0 api \(watch\)\s+online/m);
    assert.match(text, /^\s+1 console \(pty\)\s+online/m);
  });

  it('says when a filter matches nothing', () => {
    assert.match(
      layout(view({ apps: [], selected: -1, filter: 'zz' }))
        .map(strip)
        .join('\n'),
      /no app matches "zz"/,
    );
  });
});

describe('monit pieces', () => {
  it('sparkline scales to the maximum', () => {
    assert.equal(sparkline([0, 50, 100], 3, 1), '▁▅█');
    assert.equal(sparkline([1], 4, 100), '   ▁');
  });

  it('sanitize removes escape sequences and control characters from log lines', () => {
    assert.equal(sanitize('\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x07\r'), 'red ok');
    assert.equal(fit('日本語abc', 5), '日本 ');
    assert.equal(fit('ab', 4), 'ab  ');
  });

  it('parses arrow keys, letters and control keys', () => {
    assert.deepEqual(parseKeys('\x1b[A\x1b[Bjq\r\x7f\x03\x1b'), [
      'up',
      'down',
      { char: 'j' },
      { char: 'q' },
      'enter',
      'backspace',
      'ctrl-c',
      'escape',
    ]);
  });

  it('screen rewrites only the rows that changed', () => {
    const out: string[] = [];
    const s = new Screen((d) => out.push(d));
    assert.equal(s.draw(['a', 'b', 'c']), 3);
    assert.equal(s.draw(['a', 'X', 'c']), 1);
    assert.match(out[1] ?? '', /\x1b\[2;1HX/);
    assert.equal(s.draw(['a', 'X', 'c']), 0);
    assert.equal(out.length, 2, 'nothing written when nothing changed');
  });
});

describe('joinLogs', () => {
  const l = (...xs: string[]) => xs.map((text) => ({ text, err: false }));
  it('joins backlog and held live lines with no gap and no duplicate', async () => {
    const { joinLogs } = await import('../../src/tui/monit/monit-app.js');
    assert.deepEqual(joinLogs(l('1', '2', '3'), l('2', '3', '4')), l('1', '2', '3', '4'));
    assert.deepEqual(joinLogs(l('1', '2'), l('3')), l('1', '2', '3'));
    assert.deepEqual(joinLogs(l('1', '2'), []), l('1', '2'));
    assert.deepEqual(joinLogs([], l('1')), l('1'));
  });
});
