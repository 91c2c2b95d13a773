import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
}

/** Inodes of the TCP sockets in LISTEN state (st 0A) on the machine. */
function listeningInodes(): Set<string> {
  const found = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[9] !== undefined) found.add(f[9]);
    }
  }
  return found;
}

/** The listening TCP sockets a process holds (by inode). */
function listenersOf(pid: number): string[] {
  const listening = listeningInodes();
  const mine: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined && listening.has(m[1])) mine.push(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return mine;
}

/** Everything the processes could have said about an inspector: daemon.log, app logs, `tend run`'s output. */
function allOutput(home: string, extra: string): string {
  let text = extra;
  const read = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) read(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.log')) text += readFileSync(join(dir, e.name), 'utf8');
    }
  };
  read(home);
  return text;
}

describe('SIGUSR1 opens no debugger in any long-running tend process', () => {
  const t = new TendHome();
  let run: ChildProcess | null = null;
  after(async () => {
    // SIGTERM: `tend run` stops its app before it exits (a SIGKILL left its `sleep` running).
    const pid = run?.pid;
    if (pid !== undefined && isAlive(pid)) {
      run?.kill('SIGTERM');
      await waitFor(() => !isAlive(pid), '`tend run` to stop its app and exit', 15_000).catch(() => run?.kill('SIGKILL'));
    }
    await t.cleanup();
  });

  it('daemon, cluster holder, sockets holder, PTY holder and `tend run` stay alive and listen on nothing new', async () => {
    const [clusterPort, socketPort] = [await freePort(), await freePort()];
    await t.json(['start', fixture('forever.js'), '--name', 'plain']);
    const [cluster] = await t.json<Row[]>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'web',
      '-i',
      '1',
      '--env',
      `PORT=${clusterPort}`,
      '--env',
      'VERSION_FILE=/dev/null',
    ]);
    const [sockets] = await t.json<Row[]>([
      'start',
      '--name',
      'sock',
      '--listen',
      `127.0.0.1:${socketPort}`,
      '--',
      process.execPath,
      fixture('forever.js'),
    ]);
    // The PTY holder passes SIGUSR1 on to its app (and exits as the app exits): this app ignores it.
    const [pty] = await t.json<Row[]>(['start', '--pty', '--name', 'term', '--', 'sh', '-c', 'trap "" USR1; sleep 1000']);
    let runOut = '';
    run = spawn(process.execPath, [BIN, 'run', '--', 'sleep', '1000'], {
      cwd: ROOT,
      env: { ...t.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    run.stdout?.on('data', (d: Buffer) => {
      runOut += d.toString();
    });
    run.stderr?.on('data', (d: Buffer) => {
      runOut += d.toString();
    });
    await waitFor(() => /starting sleep/.test(runOut), '`tend run` to start its app', 20_000);

    const targets: Record<string, number> = {
      daemon: t.daemonPid() as number,
      'cluster holder': cluster?.holderPid as number,
      'sockets holder': sockets?.holderPid as number,
      'PTY holder': pty?.pid as number,
      'tend run': run.pid as number,
    };
    for (const [what, pid] of Object.entries(targets)) {
      assert.ok(Number.isInteger(pid) && pid > 0 && isAlive(pid), `${what}: no live pid (${String(pid)})`);
      t.track(pid);
    }
    const before = new Map(Object.entries(targets).map(([what, pid]) => [what, listenersOf(pid)]));
    for (const pid of Object.values(targets)) process.kill(pid, 'SIGUSR1');

    // An inspector opens within milliseconds of the signal; give it ample time to show.
    const opened = (): string | null => {
      if (/Debugger listening|inspector/i.test(allOutput(t.home, runOut))) return 'an inspector message';
      for (const [what, pid] of Object.entries(targets)) {
        if (!isAlive(pid)) return `${what} died`;
        const added = listenersOf(pid).filter((i) => !(before.get(what) ?? []).includes(i));
        if (added.length > 0) return `${what} listens on a new socket`;
      }
      return null;
    };
    const problem = await waitFor(opened, 'an inspector to open', 3000).catch(() => null);
    assert.equal(problem, null, `after SIGUSR1: ${String(problem)}`);
    for (const [what, pid] of Object.entries(targets)) assert.ok(isAlive(pid), `${what} is alive`);
  });
});
