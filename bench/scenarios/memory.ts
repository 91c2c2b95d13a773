import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/net.js';
import { fixture } from '../lib/paths.js';
import { memKb } from '../lib/proc.js';
import { alternate, appNames, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session } from '../lib/session.js';
import { delay, waitFor } from '../lib/timing.js';
import { bareNodeMemKb } from './rss.js';

/** Settle window after the apps are online, before reading smaps_rollup. */
const SETTLE_MS = 3_000;
const CLUSTER_NS = [1, 5, 20] as const;
const PTY_NS = [1, 5] as const;
const DAEMON_NS = [1, 20, 300] as const;
const daemonMetric = (what: 'RSS' | 'PSS', n: number): string => `daemon ${what}, ${n} app${n > 1 ? 's' : ''}`;
const BARE = 'bare node --lite-mode';
const DAEMON_TARGETS: Record<number, string> = { 20: '≤ 42 MB', 300: '≤ 47 MB' };

const rssMetric = (what: string): string => `${what}: manager RSS`;
const pssMetric = (what: string): string => `${what}: manager PSS`;
const clusterLabel = (n: number): string => `${n} cluster app${n > 1 ? 's' : ''} × 2 workers`;
const ptyLabel = (n: number): string => `${n} --pty app${n > 1 ? 's' : ''}`;

/**
 * The manager's processes: tend's daemon plus every holder (`holderPid` in `list --json`; a PTY
 * app's row pid is its holder), PM2's daemon alone (its cluster workers are the daemon's children).
 */
async function managerPids(s: Session, daemon: number, pty: boolean): Promise<number[]> {
  if (s.tool === 'pm2') return [daemon];
  const rows = JSON.parse((await s.cliOk(['list', '--json'])).stdout) as Array<{ pid?: number | null; holderPid?: number }>;
  const holders = rows.map((r) => (pty ? r.pid : r.holderPid)).filter((p): p is number => typeof p === 'number');
  return [daemon, ...new Set(holders)];
}

async function recordManager(s: Session, rec: Recorder, label: string, daemon: number, pty: boolean): Promise<void> {
  await delay(SETTLE_MS);
  let rss = 0;
  let pss = 0;
  for (const pid of await managerPids(s, daemon, pty)) {
    const m = memKb(pid);
    rss += m.rss;
    pss += m.pss;
  }
  rec.add(rssMetric(label), s.tool, rss / 1024);
  rec.add(pssMetric(label), s.tool, pss / 1024);
}

/** Waits until each named app has `workers` rows online (waitOnline counts rows, one per name). */
async function waitWorkers(s: Session, names: readonly string[], workers: number): Promise<void> {
  await waitFor(
    `${names.length} ${s.tool} cluster apps × ${workers} online`,
    async () => {
      const online = (await s.list()).filter((a) => a.status === 'online' && a.pid !== null);
      return names.every((n) => online.filter((a) => a.name === n).length === workers) ? true : undefined;
    },
    180_000,
    250,
  );
}

/**
 * Starts apps one by one until each count in `counts` runs, and at each count waits for `ready`
 * and records the manager's memory under `label(count)`.
 */
async function growAndRecord(
  s: Session,
  rec: Recorder,
  o: {
    counts: readonly number[];
    prefix: string;
    label: (n: number) => string;
    pty: boolean;
    start: (name: string) => Promise<void>;
    ready: (names: readonly string[]) => Promise<void>;
  },
): Promise<void> {
  const daemon = await s.ensureDaemon();
  const names = appNames(Math.max(...o.counts), o.prefix);
  let started = 0;
  for (const n of o.counts) {
    for (; started < n; started++) await o.start(names[started] as string);
    await o.ready(names.slice(0, n));
    await recordManager(s, rec, o.label(n), daemon, o.pty);
  }
}

/** Issue 23 (1): manager memory for N cluster apps of 2 workers each, tend (daemon + holders) vs PM2 (daemon). */
export const memoryCluster: Scenario = {
  name: 'memory-cluster',
  description: 'RSS and PSS (smaps_rollup) of the manager processes for 1, 5 and 20 `cluster-app.js -i 2` apps',
  defaultRounds: 1,
  metrics: CLUSTER_NS.flatMap((n) => [
    { metric: rssMetric(clusterLabel(n)), unit: 'MB', target: '≤ PM2' },
    { metric: pssMetric(clusterLabel(n)), unit: 'MB', target: '≤ PM2' },
  ]),
  async run(ctx, rec) {
    await alternate(ctx, rec, ctx.rounds, (tool) =>
      withSession(tool, (s) =>
        growAndRecord(s, rec, {
          counts: CLUSTER_NS,
          prefix: 'web',
          label: clusterLabel,
          pty: false,
          start: async (name) => {
            const a = s.startArgs(name, fixture('cluster-app.js'), [String(await freePort()), '/dev/null']);
            const dash = a.indexOf('--');
            await s.cliOk([...a.slice(0, dash), '-i', '2', ...a.slice(dash)]);
          },
          ready: (names) => waitWorkers(s, names, 2),
        }),
      ),
    );
  },
};

/** Issue 23 (1), PTY apps: tend only (PM2 has no PTY mode). */
export const memoryPty: Scenario = {
  name: 'memory-pty',
  description: "RSS and PSS of tend's daemon + PTY holders for 1 and 5 `--pty /bin/sleep` apps",
  defaultRounds: 1,
  metrics: PTY_NS.flatMap((n) => [
    { metric: rssMetric(ptyLabel(n)), unit: 'MB' },
    { metric: pssMetric(ptyLabel(n)), unit: 'MB' },
  ]),
  async run(ctx, rec) {
    await alternate(ctx, rec, ctx.rounds, async (tool) => {
      if (tool.name !== 'tend') return;
      await withSession(tool, (s) =>
        growAndRecord(s, rec, {
          counts: PTY_NS,
          prefix: 'tty',
          label: ptyLabel,
          pty: true,
          start: async (name) => void (await s.cliOk(['start', '/bin/sleep', '--name', name, '--pty', '--', '1000000'])),
          ready: async (names) => void (await s.waitOnline(names, 60_000, 200)),
        }),
      );
    });
  },
};

/** Issue 23 (2): the daemon alone with 1, 20 and 300 `/bin/sleep` apps started from one file each step. */
export const memoryDaemon: Scenario = {
  name: 'memory-daemon',
  description: 'RSS and PSS of the daemon with 1, 20 and 300 /bin/sleep apps (sampling on, web off)',
  defaultRounds: 1,
  metrics: DAEMON_NS.flatMap((n) => [
    {
      metric: daemonMetric('RSS', n),
      unit: 'MB',
      baselineLabel: BARE,
      ...(DAEMON_TARGETS[n] === undefined ? {} : { target: DAEMON_TARGETS[n] }),
    },
    { metric: daemonMetric('PSS', n), unit: 'MB', baselineLabel: BARE },
  ]),
  async run(ctx, rec) {
    const dir = mkdtempSync(join(tmpdir(), 'tend-bench-memory-'));
    try {
      await alternate(ctx, rec, ctx.rounds, (tool) =>
        withSession(tool, async (s) => {
          const bare = await bareNodeMemKb(['--lite-mode']);
          for (const n of DAEMON_NS) {
            rec.add(daemonMetric('RSS', n), 'baseline', bare.rss / 1024);
            rec.add(daemonMetric('PSS', n), 'baseline', bare.pss / 1024);
          }
          const daemon = await s.ensureDaemon();
          const names = appNames(DAEMON_NS[DAEMON_NS.length - 1] as number);
          let started = 0;
          for (const n of DAEMON_NS) {
            const file = join(dir, `${tool.name}-${n}.config.json`);
            const apps = names.slice(started, n).map((name) => ({ name, script: '/bin/sleep', args: ['1000000'], interpreter: 'none' }));
            writeFileSync(file, JSON.stringify({ apps }));
            await s.cliOk(['start', file], 120_000);
            started = n;
            await s.waitOnline(names.slice(0, n), 120_000, 200);
            await delay(SETTLE_MS);
            const m = memKb(daemon);
            rec.add(daemonMetric('RSS', n), tool.name, m.rss / 1024);
            rec.add(daemonMetric('PSS', n), tool.name, m.pss / 1024);
          }
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
