import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { ansiToHtml } from '../helpers/ansi-html.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { BIN, ROOT, TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';
import { commandMissing, needs } from '../helpers/needs.js';

const req = needs(commandMissing('tmux', ['-V']));
const SHOTS = join(ROOT, 'dist', 'screenshots');

describe('tend monit in a real terminal (tmux, 80×24)', () => {
  let t: TendHome;
  const sock = `tend-monit-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', sock, ...args]).toString();
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'monit');
  const keys = (...k: string[]): void => {
    tmux('send-keys', '-t', 'monit', ...k);
  };
  // The row drawn in inverse video (SGR 7, which tmux may combine with others: ESC[0;7m).
  const selected = (): RegExp => /^\x1b\[[0-9;]*\b7m(?:\x1b\[[0-9;]*m)*\s+\d+ (\S+)/m;
  const selectedRow = (): string | undefined =>
    selected().exec(tmux('capture-pane', '-p', '-e', '-t', 'monit').split('\n').slice(2).join('\n'))?.[1];
  const restartsOf = async (name: string): Promise<number> => (await t.app(name)).restarts;

  req.before(async () => {
    t = new TendHome({ TEND_SAMPLE_WATCHED_MS: '250' });
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'api', '--env', 'INTERVAL_MS=300']);
    await t.json(['start', fixture('fork-grandchild.js'), '--name', 'worker']);
    const port = await freePort();
    await t.json(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`, '--health', `tcp:${port}`]);
    tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'monit',
      '-x',
      '80',
      '-y',
      '24',
      `cd ${ROOT} && TEND_HOME=${t.home} ${process.execPath} ${BIN} monit`,
    );
    const server = Number(tmux('display-message', '-p', '#{pid}').trim());
    if (server > 0) t.track(server);
  });
  req.after(async () => {
    spawnSync('tmux', ['-L', sock, 'kill-server']);
    await t.cleanup();
  });

  req.it("shows the apps with CPU and memory, sparklines and the selected app's log", async () => {
    const s = await waitFor(
      () => {
        const text = screen();
        return /^\s+0 api\s+online\s+\d+\.\d%\s+[\d.]+MB/m.test(text) && /^\s+1 worker\s+online/m.test(text) && /line \d+/.test(text)
          ? text
          : undefined;
      },
      "the apps, their figures and api's log lines",
      20_000,
    );
    assert.match(s, /^ tend monit — 3 apps/m);
    await waitFor(() => /^\s+2 web\s+online.*healthy\s*$/m.test(screen()), 'web healthy');
    assert.match(s, /^ cpu .*% +mem .*MB/m);
    assert.match(s, /q quit/);
    for (const line of s.split('\n').slice(0, 24)) assert.ok([...line].length <= 80);
  });

  req.it('keys act on the selected app: j selects, r restarts, s stops and starts', async () => {
    keys('j');
    await waitFor(
      () => selected().test(tmux('capture-pane', '-p', '-e', '-t', 'monit')) && selectedRow() === 'worker',
      'worker selected (inverse video)',
    );
    const before = await restartsOf('worker');
    keys('r');
    await waitFor(async () => (await restartsOf('worker')) > before, 'worker restarted');
    await waitFor(() => screen().includes('restart worker: done'), 'the confirmation on the status line');
    keys('k');
    await waitFor(() => selectedRow() === 'api', 'api selected');
    keys('s');
    await waitFor(async () => (await t.app('api')).status === 'stopped', 'api stopped');
    await waitFor(() => /^\s+0 api\s+stopped/m.test(screen()), 'monit shows api stopped');
    keys('s');
    await waitFor(async () => (await t.app('api')).status === 'online', 'api started again');
  });

  req.it('filters with /, shows logs full screen with l, follows a resize', async () => {
    keys('/', 'w', 'o', 'r', 'Enter');
    await waitFor(() => {
      const s = screen();
      return /^\s+1 worker/m.test(s) && !/^\s+0 api/m.test(s);
    }, 'only worker listed');
    keys('/', 'Escape');
    await waitFor(() => /^\s+0 api/m.test(screen()), 'filter cleared');
    keys('l');
    await waitFor(() => screen().includes('logs of '), 'the full-screen log');
    keys('l');
    await waitFor(() => /^\s+id name/m.test(screen()), 'back to the list');
    tmux('resize-window', '-t', 'monit', '-x', '100', '-y', '30');
    await waitFor(() => {
      const lines = screen().split('\n');
      return lines.length >= 30 && /q quit\s*$/.test(lines[29] ?? '');
    }, 'a 100×30 frame');
    tmux('resize-window', '-t', 'monit', '-x', '80', '-y', '24');
    await waitFor(() => screen().split('\n').length <= 25 && /^\s+1 worker/m.test(screen()), 'back to 80×24');
  });

  req.it('shows each instance of a cluster app as a live row; s stops and starts that one instance', async () => {
    const [first, second] = await t.json<Array<{ id: number; pid: number; holderPid: number }>>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'cl',
      '-i',
      '2',
      '--env',
      'PORT=0',
    ]);
    t.track(first?.holderPid as number);
    const row = (id: number | undefined): RegExp => new RegExp(`^\\s+${id} cl\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\d+)`, 'm');
    await waitFor(() => row(first?.id).test(screen()) && row(second?.id).test(screen()), 'both instance rows', 20_000);
    // The second instance's row follows its own changes (restarts, figures), not the app's.
    await t.json(['restart', String(second?.id)]);
    await waitFor(() => row(second?.id).exec(screen())?.[4] === '1', "the restart counted on the second instance's row");
    await waitFor(() => /MB/.test(row(second?.id).exec(screen())?.[3] ?? ''), 'memory of the second instance', 20_000);
    keys('G');
    await waitFor(
      () =>
        selectedRow() === 'cl' &&
        selected()
          .exec(tmux('capture-pane', '-p', '-e', '-t', 'monit').split('\n').slice(2).join('\n'))?.[0]
          .includes(` ${second?.id} cl`),
      'the second instance selected',
    );
    keys('s');
    await waitFor(
      async () => ((await t.list()) as Array<{ id: number; status: string }>).find((r) => r.id === second?.id)?.status === 'stopped',
      'that instance stopped',
    );
    assert.equal(
      ((await t.list()) as Array<{ id: number; status: string }>).find((r) => r.id === first?.id)?.status,
      'online',
      'the other instance runs on',
    );
    await waitFor(() => row(second?.id).exec(screen())?.[1] === 'stopped', 'monit shows it stopped');
    keys('s');
    await waitFor(
      async () => ((await t.list()) as Array<{ id: number; status: string }>).find((r) => r.id === second?.id)?.status === 'online',
      'that instance started again',
    );
    await t.run(['delete', 'cl']);
    keys('g');
  });

  req.it('saves a picture of the screen, and q quits', async () => {
    keys('g');
    await waitFor(() => selectedRow() === 'api' && /line \d+/.test(screen()), 'api selected, with its log lines');
    // A picture worth keeping: a few seconds of history in the sparklines.
    await waitFor(() => /^ cpu +[▁-█]{12,}/m.test(screen()), 'twelve points of CPU history', 20_000);
    const ansi = tmux('capture-pane', '-p', '-e', '-N', '-t', 'monit');
    if (existsSync(CHROMIUM)) {
      mkdirSync(SHOTS, { recursive: true });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 760, height: 500 } });
        await page.setContent(ansiToHtml(ansi, 'tend monit'));
        await (await page.$('pre'))?.screenshot({ path: join(SHOTS, 'monit.png') });
      } finally {
        await browser.close();
      }
    }
    keys('q');
    await waitFor(() => spawnSync('tmux', ['-L', sock, 'has-session', '-t', 'monit']).status !== 0, 'monit to exit and close the session');
  });
});
