import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { TendHome, fixture, waitFor } from '../helpers/tend.js';
import { killDuringFlood } from '../helpers/flood-kills.js';
import { fillDisk } from '../helpers/fill-disk.js';
import { numberedGaps, readAllLogText } from '../helpers/log-files.js';
import { needs, rootMissing } from '../helpers/needs.js';

const req = needs(rootMissing('mount a tmpfs'));

/** Lines per app: long enough that the kills land while the apps still write. */
const COUNT = { stamped: 4_000_000, records: 400_000 };
const KILLS = 20;

/** "line N" messages of a json log, in file order. */
const jsonMessages = (text: string): string =>
  text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => `${(JSON.parse(l) as { message: string }).message}\n`)
    .join('');

/**
 * The spools live beside the FIFOs, on a small tmpfs (for root that is /dev/shm), which is filled
 * to the last byte; the log files' disk has room. Through daemon kill -9s during a flood, every
 * line arrives exactly once:
 * - filled after the apps started: the spools' blocks (and those of the file a json log's open
 *   line moves to) were reserved when they were opened;
 * - filled before: the spools move to TEND_HOME/spools, on the home's filesystem.
 * Either way the full filesystem never makes the daemon read a pipe into memory, where a kill
 * would lose what it read.
 */
for (const fillFirst of [false, true]) {
  describe(`daemon kill -9s during a flood while the spool filesystem is full (filled ${fillFirst ? 'before' : 'after'} the apps start)`, () => {
    let mountPoint = '';
    let mounted = false;
    let t: TendHome;

    req.before(() => {
      mountPoint = mkdtempSync(join(tmpdir(), 'tend-spool-tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', mountPoint]);
      mounted = true;
      t = new TendHome({ TEND_PIPES: 'tmpfs', TEND_PIPE_BASE: mountPoint });
    });
    after(async () => {
      if (t !== undefined) await t.cleanup();
      if (mounted) execFileSync('umount', [mountPoint]);
      if (mountPoint !== '') rmSync(mountPoint, { recursive: true, force: true });
    });

    req.it('every line lands exactly once: --time and json logs', () => floodThroughKills(t, mountPoint, fillFirst));
  });
}

async function floodThroughKills(t: TendHome, mountPoint: string, fillFirst: boolean): Promise<void> {
  const go = join(t.home, 'go');
  const flood = (name: keyof typeof COUNT, burst: number, ...flags: string[]): Promise<unknown> =>
    t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      name,
      ...['--env', `COUNT=${COUNT[name]}`, '--env', `BURST=${burst}`, '--env', 'INTERVAL_MS=1', '--env', `GO_FILE=${go}`],
      ...['--log-retain', '10000', ...flags],
    ]);
  let filler = '';
  const fill = (): void => {
    filler = fillDisk(mountPoint);
    assert.equal(statfsSync(mountPoint).bavail, 0, 'the spool filesystem is full');
  };
  assert.equal((await t.run(['ping'])).code, 0, 'a daemon is up');
  const pipes = realpathSync(join(t.home, 'pipes'));
  assert.ok(pipes.startsWith(`${mountPoint}/`), `the FIFOs are on the small tmpfs (${pipes})`);
  if (fillFirst) fill();
  // --time: the daemon formats each line between reading and writing, the window a kill hits.
  await flood('stamped', 5000, '--time');
  await flood('records', 500, '--log-type', 'json');
  const spools = fillFirst ? join(t.home, 'spools') : pipes;
  await waitFor(
    () => existsSync(spools) && readdirSync(spools).filter((n) => n.endsWith('.out.spool')).length === 2,
    `both stdout spools in ${spools}`,
  );
  if (!fillFirst) fill();
  writeFileSync(go, '');

  const files = { stamped: join(t.home, 'logs', 'stamped-out.log'), records: join(t.home, 'logs', 'records-out.log') };
  const ended = (text: string): boolean => text.endsWith(`line ${COUNT.stamped}\n`);
  let kills = await killDuringFlood(t, files.stamped, ended, fillFirst ? KILLS / 2 : KILLS, 100);
  if (fillFirst && !ended(readAllLogText(files.stamped))) {
    await spaceReturns(t, pipes, filler);
    kills += await killDuringFlood(t, files.stamped, ended, KILLS / 2, 100);
  }
  assert.ok(kills >= 5, `only ${kills} kills happened before the flood ended: make it longer`);
  for (const [name, file] of Object.entries(files) as [keyof typeof COUNT, string][]) {
    const text = await waitFor(
      () => {
        const all = readAllLogText(file);
        const body = name === 'records' ? jsonMessages(all) : all;
        return body.endsWith(`line ${COUNT[name]}\n`) ? body : undefined;
      },
      `${name}: the last line`,
      120_000,
    );
    const r = numberedGaps(text);
    assert.equal(r.error, null, `${name}: ${String(r.error)}`);
    assert.deepEqual(r.gaps, [], `${name}: lines lost after ${kills} kills: ${JSON.stringify(r.gaps.slice(0, 5))}`);
    assert.equal(r.count, COUNT[name], `${name}: ${r.count} lines`);
  }

  // A stopped app holds none of either filesystem: its spools gave their reserves back.
  await t.json(['stop', 'all']);
  const held = (): string[] =>
    [pipes, join(t.home, 'spools')]
      .filter((dir) => existsSync(dir))
      .flatMap((dir) => readdirSync(dir).map((n) => join(dir, n)))
      .filter((f) => f.includes('.spool') && statSync(f).blocks > 0);
  await waitFor(() => held().length === 0, 'the spools to give their reserves back').catch(() =>
    assert.deepEqual(
      held().map((f) => `${f}: ${statSync(f).size} bytes, ${statSync(f).blocks * 512} allocated`),
      [],
      'the spools gave their reserves back',
    ),
  );
}

/** Space returns under the FIFOs mid-flood: the flooding spool moves back beside its FIFO, giving the home's blocks back. */
async function spaceReturns(t: TendHome, pipes: string, filler: string): Promise<void> {
  unlinkSync(filler);
  const id = (await t.app('stamped')).id;
  const blocks = (path: string): number => (existsSync(path) ? statSync(path).blocks : 0);
  const beside = join(pipes, `${id}.out.spool`);
  const away = join(t.home, 'spools', `${id}.out.spool`);
  await waitFor(() => blocks(beside) > 0 && blocks(away) === 0, 'the spool back beside its FIFO', 30_000);
}
