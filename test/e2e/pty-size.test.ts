import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PTY_MAX_COLS, PTY_MAX_ROWS } from '../../src/protocol/pty.js';
import { ptySocketPath, tendPaths } from '../../src/store/paths.js';
import { TendHome, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Detail extends ProcessJson {
  logs: { out: string };
}

/** Prints its window size at start and on every resize. */
const SIZE_APP =
  "const p=()=>console.log('size '+process.stdout.columns+'x'+process.stdout.rows);p();process.stdout.on('resize',p);setInterval(()=>{},1e6)";

/** Sends frames to the holder's attach socket; resolves with the frames it answers until it closes or `untilMs`. */
function talk(path: string, frames: unknown[], untilMs = 2000): Promise<Array<{ t: string; message?: string }>> {
  return new Promise((resolve) => {
    const s = connect(path);
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { t: string; message?: string }),
      );
    };
    const timer = setTimeout(done, untilMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n') + '\n'));
    s.on('data', (c: string) => {
      text += c;
    });
    s.on('error', () => undefined);
    s.on('close', done);
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('a pty app: window sizes from a client are bounded', () => {
  const t = new TendHome();
  let app: Detail;
  let sock = '';
  const sizes = (): string[] =>
    readFileSync(app.logs.out, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('size '));

  before(async () => {
    const [started] = await t.json<ProcessJson[]>(['start', '--pty', '--name', 'sz', '--', process.execPath, '-e', SIZE_APP]);
    [app] = (await t.json<Detail[]>(['describe', 'sz'])) as [Detail];
    assert.equal(started?.status, 'online');
    sock = ptySocketPath(tendPaths(t.home), app.id);
    await waitFor(() => sizes().includes('size 80x24'), 'the app to print its first size');
  });
  after(() => t.cleanup());

  it('a huge hello or resize is clamped to the largest terminal, and the holder stays small', async () => {
    const hello = await talk(sock, [{ t: 'hello', protocol: 1, cols: 10_000, rows: 10_000 }]);
    assert.equal(hello[0]?.t, 'hello', JSON.stringify(hello));
    await waitFor(() => sizes().includes(`size ${PTY_MAX_COLS}x${PTY_MAX_ROWS}`), 'the app to see the clamped size');
    await talk(sock, [
      { t: 'hello', protocol: 1, cols: 100, rows: 30 },
      { t: 'resize', cols: 65_535, rows: 40 },
    ]);
    await waitFor(() => sizes().includes(`size ${PTY_MAX_COLS}x40`), 'the resize to be clamped too');
    assert.ok(!sizes().some((l) => /size (\d{5}|[2-9]\d{3})x/.test(l)), sizes().join(', '));
    const pid = (await t.app('sz')).pid as number;
    assert.ok(rssBytes(pid) < 250 * 1024 * 1024, `holder RSS ${Math.round(rssBytes(pid) / 1048576)} MB`);
  });

  it('a size that is not a whole number from 1 to 65535, or a frame that is not an object, gets an error; the app lives on', async () => {
    const pid = (await t.app('sz')).pid as number;
    for (const bad of [
      { cols: 0, rows: 24 },
      { cols: 80, rows: -1 },
      { cols: 1.5, rows: 24 },
      { cols: 70_000, rows: 24 },
      { cols: '80', rows: 24 },
      { cols: null, rows: 24 },
    ]) {
      const answer = await talk(sock, [{ t: 'hello', protocol: 1, ...bad }]);
      assert.equal(answer[0]?.t, 'error', `${JSON.stringify(bad)}: ${JSON.stringify(answer)}`);
    }
    for (const junk of ['null', '5', '"x"', '[]']) {
      const answer = await talk(sock, [junk]);
      assert.equal(answer[0]?.t, 'error', `${junk}: ${JSON.stringify(answer)}`);
    }
    const greeted = await talk(sock, [{ t: 'hello', protocol: 1, cols: 90, rows: 30 }, 'null']);
    assert.equal(greeted.at(-1)?.t, 'error');
    assert.ok(isAlive(pid));
    assert.equal((await t.app('sz')).status, 'online');
    assert.equal((await t.app('sz')).pid, pid);
  });
});
