import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { ROOT, TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { fileMissing, needs } from '../helpers/needs.js';

const req = needs(fileMissing(CHROMIUM));
/** Screenshots of every run, to look at (dist/ is not committed; docs/ holds the chosen ones). */
export const SHOTS = join(ROOT, 'dist', 'screenshots');
const XSS = '<img src=x onerror=alert(1)>';

describe('the dashboard in a real browser (Debian chromium, headless)', () => {
  let t: TendHome;
  let url = '';
  // playwright-core is typed loosely here: only a few calls are used.
  let browser: { close(): Promise<void>; newPage(o?: object): Promise<Page> } | null = null;
  let page: Page;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];

  req.before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = new TendHome({ TEND_SAMPLE_WATCHED_MS: '300' });
    await t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'api',
      '--env',
      'INTERVAL_MS=40',
      '--env',
      'DB_PASSWORD=hunter2',
      '--max-memory-restart',
      '300M',
    ]);
    await t.json(['start', fixture('fork-grandchild.js'), '--name', 'worker']);
    const port = await freePort();
    await t.json(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`, '--health', `http://127.0.0.1:${port}/`]);
    await t.json(['start', fixture('xss.js'), '--name', 'xss', '--env', `NOTE=${XSS}`, '--', '<script>alert(2)</script>', XSS]);
    const web = JSON.parse((await t.run(['web', '--port', String(await freePort()), '--json'])).stdout) as { url: string; token: string };
    url = `${web.url}#token=${web.token}`;
    browser = (await launchChromium()) as unknown as typeof browser;
    page = await (browser as NonNullable<typeof browser>).newPage({ viewport: { width: 1400, height: 860 } });
    // Any alert() means a payload ran: record it, dismiss it, fail below.
    page.on('dialog', (d: { message(): string; dismiss(): Promise<void> }) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m: { type(): string; text(): string }) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });
  req.after(async () => {
    await browser?.close();
    await t.cleanup();
  });

  const row = (name: string): string => `#apps tbody tr:has(td.name:text-is("${name}"))`;
  const restartsOf = async (name: string): Promise<number> => Number(await page.textContent(`${row(name)} td:nth-child(7)`));

  req.it('lists the apps, draws chart points and follows the log', async () => {
    await page.goto(url);
    for (const name of ['api', 'worker', 'web', 'xss']) await page.waitForSelector(row(name));
    await page.waitForSelector(`${row('web')} td.h-healthy`);
    // The token left the address bar once read.
    assert.equal(new URL(page.url()).hash, '');
    await page.click(row('api'));
    await page.waitForSelector('#d-name:text("api (id 0)")');
    await waitFor(
      async () => ((await page.evaluate('window.tendDashboard.chartPoints().cpu')) as number) >= 12,
      'twelve chart points',
      20_000,
    );
    const lastLine = async (): Promise<number> =>
      Number(/line (\d+)/.exec((await page.textContent('#logs > div:last-child')) ?? '')?.[1] ?? 0);
    const first = await waitFor(lastLine, 'a log line');
    await waitFor(async () => (await lastLine()) > first, 'a new line the app printed');
    // Backlog and live lines join with no gap and no duplicate.
    const numbers = ((await page.evaluate('[...document.querySelectorAll("#logs > div")].map((d) => d.textContent).join("\\n")')) as string)
      .split('\n')
      .map((x) => Number(/line (\d+)/.exec(x)?.[1]));
    for (let i = 1; i < numbers.length; i += 1) assert.equal(numbers[i], (numbers[i - 1] as number) + 1, `line after ${numbers[i - 1]}`);
    assert.match((await page.textContent('#d-facts')) ?? '', /DB_PASSWORD=\[redacted\]/);
    assert.deepEqual(consoleErrors, [], 'a page with the token loads with no error in the console');
    await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
  });

  req.it("shows the table's every column beside the details panel, none under it", async () => {
    const ports = `${row('web')} td:nth-child(10)`;
    await waitFor(async () => /^127\.0\.0\.1:\d+$/.test((await page.textContent(ports)) ?? ''), "web's port in the table", 20_000);
    // A window as wide as the table, the panel's least width (480px) and the margins: both fit.
    const tableWidth = (await page.evaluate("document.querySelector('#apps').scrollWidth")) as number;
    await page.setViewportSize({ width: tableWidth + 480 + 80, height: 860 });
    // The point in the middle of the ports cell shows that cell, not the panel drawn beside the table.
    const shown = await page.evaluate(
      `(() => { const tr = [...document.querySelectorAll('#apps tbody tr')].find((r) => r.querySelector('td.name').textContent === 'web');
        const td = tr.children[9]; const r = td.getBoundingClientRect();
        const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return at === td || td.contains(at); })()`,
    );
    await page.setViewportSize({ width: 1400, height: 860 });
    assert.equal(shown, true, `the ports column is hidden under the details panel (table ${tableWidth}px)`);
  });

  req.it('restarts an app after a confirmation, and the count goes up', async () => {
    const before = await restartsOf('api');
    await page.click('#actions button[data-action="restart"]');
    await page.waitForSelector('dialog#confirm[open]');
    await page.screenshot({ path: join(SHOTS, 'dashboard-confirm.png') });
    await page.click('#confirm-ok');
    await waitFor(async () => (await restartsOf('api')) > before, 'the restart count to go up');
    // Cancel does nothing.
    const now = await restartsOf('api');
    await page.click('#actions button[data-action="restart"]');
    await page.click('#confirm-cancel');
    assert.equal(await restartsOf('api'), now);
  });

  req.it('shows hostile arguments, env values and log lines as text and runs none of them', async () => {
    await page.click(row('xss'));
    await page.waitForSelector('#d-name:text("xss (id 3)")');
    await waitFor(async () => ((await page.textContent('#logs')) ?? '').includes(XSS), 'the payload in the log view');
    const logs = (await page.textContent('#logs')) ?? '';
    assert.ok(logs.includes('<script>alert(2)</script>'));
    assert.ok(logs.includes('<script>alert("stderr")</script>'));
    const facts = (await page.textContent('#d-facts')) ?? '';
    assert.ok(facts.includes(`NOTE=${XSS}`), 'the env value, as text');
    assert.ok(facts.includes('<script>alert(2)</script>'), 'the argument, as text');
    // No element was made from the payloads.
    assert.equal(await page.evaluate('document.querySelectorAll("img, #logs script, #d-facts script").length'), 0);
    await page.screenshot({ path: join(SHOTS, 'dashboard-xss.png') });
    assert.deepEqual(dialogs, []);
  });

  req.it('an app deleted while selected leaves no details behind, and the header counts the apps there are', async () => {
    const count = async (): Promise<string> => /(\d+) app\(s\)/.exec((await page.textContent('#daemon')) ?? '')?.[1] ?? '';
    await t.json(['start', fixture('forever.js'), '--name', 'gone']);
    await page.waitForSelector(row('gone'));
    await waitFor(async () => (await count()) === '5', 'the header to count 5 apps', 10_000);
    await page.click(row('gone'));
    await page.waitForSelector('#d-name:text("gone (id 4)")');
    await t.run(['delete', 'gone']);
    await waitFor(async () => (await page.evaluate("document.querySelectorAll('#apps tbody tr').length")) === 4, 'the row to go');
    await waitFor(
      async () => (await page.evaluate("document.getElementById('detail').hidden")) === true,
      'the details of the deleted app to go',
      10_000,
    );
    assert.equal(await count(), '4');
  });

  req.it('marks a pty app in the table as list does', async () => {
    await t.json(['start', '--name', 'term', '--pty', '--', '/bin/sh']);
    await page.waitForSelector('#apps tbody td.name:text-is("term (pty)")');
    await t.run(['delete', 'term']);
  });

  req.it('draws an app with no sample over the last minutes, not over years it never lived', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'brief', '--no-autorestart']);
    await page.waitForSelector(`${row('brief')} td.s-stopped`);
    await page.click(row('brief'));
    await page.waitForSelector('#d-name:text-matches("^brief ")');
    await waitFor(
      async () => ((await page.evaluate('window.tendDashboard.chartPoints().cpu')) as number) <= 1,
      'the charts emptied (at most its one sample)',
    );
    const [min, max] = (await page.evaluate('window.tendDashboard.chartRange()')) as [number, number];
    const now = Date.now() / 1000;
    assert.ok(
      Math.abs(max - now) < 300 && max - min > 0 && max - min <= 3600,
      `time axis ${new Date(min * 1000).toISOString()} … ${new Date(max * 1000).toISOString()}`,
    );
    await t.run(['delete', 'brief']);
  });

  req.it('without the token the page says so and shows no data', async () => {
    const other = await (browser as NonNullable<typeof browser>).newPage();
    await other.goto(url.replace(/#.*$/, ''));
    await other.waitForSelector('#problem:not([hidden])');
    assert.equal(await other.evaluate('document.querySelectorAll("#apps tbody tr").length'), 0);
    await other.close();
  });
});

interface Page {
  goto(url: string): Promise<unknown>;
  url(): string;
  click(sel: string): Promise<void>;
  waitForSelector(sel: string): Promise<unknown>;
  textContent(sel: string): Promise<string | null>;
  evaluate(expr: string): Promise<unknown>;
  screenshot(o: { path: string }): Promise<unknown>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  on(ev: 'dialog', fn: (d: { message(): string; dismiss(): Promise<void> }) => void): void;
  on(ev: 'console', fn: (m: { type(): string; text(): string }) => void): void;
  close(): Promise<void>;
}
