// Figures for watch mode and attach (issue 9), printed as a table:
//   node dist/bench/watch-attach.js
// save → serving, restarts for a real 1,000-file `git checkout`, the daemon's CPU while watching
// an idle 10,000-file tree, keystroke → echo through a PTY holder, and a holder's memory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'tend');
const home = mkdtempSync(join(tmpdir(), 'tend-bench-wa-'));
// Work folders live outside TEND_HOME (which is never watched).
const work = mkdtempSync(join(tmpdir(), 'tend-bench-wa-work-'));
const env = { ...process.env, TEND_HOME: home, NO_COLOR: '1' };
const tend = (...args: string[]): string => execFileSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
const list = (): Array<{ name: string; pid: number; restarts: number; status: string }> => JSON.parse(tend('list', '--json'));
const app = (name: string) => list().find((a) => a.name === name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}
const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
  return Number(f[11]) + Number(f[12]);
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] as number;
const rows: Array<[string, string]> = [];

async function saveToServing(): Promise<void> {
  const dir = mkdtempSync(join(work, 'site-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(dir, 'version.txt'), 'v0');
  writeFileSync(
    join(dir, 'server.cjs'),
    `const v=require('fs').readFileSync(__dirname+'/version.txt','utf8');require('http').createServer((q,s)=>s.end(v)).listen(${port},'127.0.0.1')`,
  );
  tend('start', join(dir, 'server.cjs'), '--name', 'site', '--watch', dir);
  await until(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/`)
        .then((r) => r.text())
        .catch(() => '')) === 'v0',
  );
  const times: number[] = [];
  for (let i = 1; i <= 5; i++) {
    await sleep(1200);
    const t0 = performance.now();
    writeFileSync(join(dir, 'version.txt'), `v${i}`);
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.text())
          .catch(() => '')) === `v${i}`,
    );
    times.push(performance.now() - t0);
  }
  rows.push([
    'file save → new process serving (watch_delay 300 ms)',
    `median ${median(times).toFixed(0)} ms (5 saves: ${times.map((t) => t.toFixed(0)).join(', ')})`,
  ]);
  tend('delete', 'site');
}

async function checkout(): Promise<void> {
  const repo = mkdtempSync(join(work, 'repo-'));
  const git = (...a: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=b@b', '-c', 'user.name=b', ...a], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < 1000; i++) {
    mkdirSync(join(repo, `m${i % 20}`), { recursive: true });
    writeFileSync(join(repo, `m${i % 20}`, `f${i}.js`), `a${i}\n`);
  }
  git('add', '-A');
  git('commit', '-qm', 'a');
  git('checkout', '-qb', 'other');
  for (let i = 0; i < 1000; i++) writeFileSync(join(repo, `m${i % 20}`, `f${i}.js`), `b${i}\n`);
  git('commit', '-qam', 'b');
  git('checkout', '-q', 'main');
  writeFileSync(join(repo, 'app.cjs'), 'setInterval(() => {}, 1000)');
  tend('start', join(repo, 'app.cjs'), '--name', 'repo', '--watch', repo);
  await sleep(1500);
  git('checkout', '-q', 'other');
  await sleep(3000);
  rows.push(['restarts for a 1,000-file `git checkout`', String(app('repo')?.restarts)]);
  tend('delete', 'repo');
}

async function idleCpu(): Promise<void> {
  const tree = mkdtempSync(join(work, 'tree-'));
  for (let d = 0; d < 500; d++) {
    mkdirSync(join(tree, `d${d}`));
    for (let f = 0; f < 20; f++) writeFileSync(join(tree, `d${d}`, `f${f}.js`), 'x');
  }
  const daemon = Number(readFileSync(join(home, 'daemon.pid'), 'utf8').split(' ')[0]);
  const rssBefore = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon}/status`, 'utf8'))?.[1]);
  writeFileSync(join(tree, 'app.cjs'), 'setInterval(() => {}, 1000)');
  tend('start', join(tree, 'app.cjs'), '--name', 'tree', '--watch', tree);
  await sleep(3000);
  const rssAfter = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon}/status`, 'utf8'))?.[1]);
  const t0 = cpuTicks(daemon);
  await sleep(30_000);
  const ticks = cpuTicks(daemon) - t0;
  rows.push([
    'daemon CPU, idle, watching a 10,000-file tree (500 dirs), 30 s',
    `${(ticks * 10).toFixed(0)} ms CPU = ${((ticks * 10) / 300).toFixed(2)} %; daemon RSS +${((rssAfter - rssBefore) / 1024).toFixed(1)} MB for the watcher`,
  ]);
  tend('delete', 'tree');
}

async function attachLatency(): Promise<void> {
  tend('start', '--pty', '--name', 'echo', '--', 'cat');
  const a = await until(() => app('echo'));
  const id = (JSON.parse(tend('describe', 'echo', '--json')) as Array<{ id: number }>)[0]?.id as number;
  const path = join(home, 'pty', `${id}.sock`);
  await until(() => {
    try {
      return readFileSync(path) && false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
  const s = connect(path);
  s.setEncoding('utf8');
  s.setNoDelay(true);
  let got = '';
  s.on('data', (d: string) => {
    got += d;
  });
  await new Promise((r) => s.once('connect', r));
  s.write(`${JSON.stringify({ t: 'hello', protocol: 1, cols: 80, rows: 24 })}\n`);
  await until(() => got.includes('"t":"screen"'));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    got = '';
    const t0 = performance.now();
    s.write(`${JSON.stringify({ t: 'in', data: 'x' })}\n`);
    await until(() => got.includes('"t":"out"'));
    times.push(performance.now() - t0);
  }
  s.destroy();
  rows.push([
    'attach round trip (key → echo, through holder + pty, loopback socket)',
    `median ${median(times).toFixed(2)} ms, p99 ${p99(times).toFixed(2)} ms (200 keys)`,
  ]);
  const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  const children = readFileSync(`/proc/${a.pid}/task/${a.pid}/children`, 'utf8').trim().split(' ').map(Number);
  rows.push([
    'memory a PTY app costs beyond the app (holder RSS)',
    `${rss(a.pid).toFixed(1)} MB (app \`cat\` itself: ${children.map((c) => rss(c).toFixed(1)).join(', ')} MB)`,
  ]);
  tend('delete', 'echo');
}

try {
  tend('ping');
  await saveToServing();
  await checkout();
  await attachLatency();
  await idleCpu();
} finally {
  try {
    tend('kill');
  } catch {
    /* gone */
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
const w = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
