import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, realpathSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { TendHome, fixture, isAlive, waitFor } from '../helpers/tend.js';
import { fillDisk } from '../helpers/fill-disk.js';
import { numberedGaps, readAllLogText } from '../helpers/log-files.js';
import { needs, rootMissing } from '../helpers/needs.js';

const req = needs(rootMissing('mount a tmpfs'));

/** Lines of the flood: long enough that the kills land while the app still writes. */
const COUNT = 4_000_000;
const KILLS = 20;

/**
 * The spools live beside the FIFOs, on a small tmpfs (for root that is /dev/shm), which is filled
 * to the last byte after the app started and before it floods; the log files' disk has room.
 * Through daemon kill -9s during the flood, every line arrives exactly once: the spool's blocks
 * were reserved when it was opened, so the full filesystem never makes the daemon read the pipe
 * into memory, where a kill would lose what it read.
 */
describe('daemon kill -9s during a flood while the spool filesystem is full', () => {
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

  req.it('every line lands exactly once', async () => {
    const go = join(t.home, 'go');
    const app = ['start', fixture('numbered-lines.js'), '--name', 'flood', '--env', `COUNT=${COUNT}`];
    await t.json([...app, '--env', 'BURST=5000', '--env', 'INTERVAL_MS=1', '--env', `GO_FILE=${go}`, '--time', '--log-retain', '10000']);
    const pipes = realpathSync(join(t.home, 'pipes'));
    assert.ok(pipes.startsWith(`${mountPoint}/`), `the FIFOs are on the small tmpfs (${pipes})`);
    const spool = await waitFor(() => readdirSync(pipes).find((n) => n.endsWith('.out.spool')), 'the stdout spool');
    assert.equal(statSync(join(pipes, spool)).size, 0, 'nothing printed yet');

    fillDisk(mountPoint);
    assert.equal(statfsSync(mountPoint).bavail, 0, 'the spool filesystem is full');
    writeFileSync(go, '');

    const file = join(t.home, 'logs', 'flood-out.log');
    const ended = (text: string): boolean => text.endsWith(`line ${COUNT}\n`);
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const seen = readAllLogText(file).length;
      // The daemon is writing again since it came back (or the flood is over: no more to kill).
      await waitFor(
        () => {
          const text = readAllLogText(file);
          return text.length > seen || ended(text);
        },
        'the daemon to write again',
        60_000,
        50,
      );
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 100)));
      const daemon = t.daemonPid() as number;
      t.track(daemon);
      if (ended(readAllLogText(file))) break;
      process.kill(daemon, 'SIGKILL');
      kills += 1;
      await waitFor(() => !isAlive(daemon), 'the daemon to die');
      await t.list();
    }
    assert.ok(kills >= 5, `only ${kills} kills happened before the flood ended: make it longer`);
    const text = await waitFor(() => ((t) => (ended(t) ? t : undefined))(readAllLogText(file)), 'the last line', 120_000);
    const r = numberedGaps(text);
    assert.equal(r.error, null, String(r.error));
    assert.deepEqual(r.gaps, [], `lines lost after ${kills} kills: ${JSON.stringify(r.gaps.slice(0, 5))}`);
    assert.equal(r.count, COUNT);
  });
});
