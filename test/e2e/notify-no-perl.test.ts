import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { needs } from '../helpers/needs.js';
import { ROOT, TendHome, freePort, type ProcessJson } from '../helpers/tend.js';
import { getFresh } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
}

function holderLog(home: string): string {
  try {
    return readFileSync(join(home, 'holders', '0.log'), 'utf8');
  } catch (err) {
    return `(no holder log: ${(err as Error).message})`;
  }
}

/** The real python binary (a pyenv shim on PATH would need the rest of PATH). */
const python = (() => {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

const req = needs(python === '' ? 'python3 is not installed (scripts/test.sh installs it)' : null);

describe('--wait-ready through NOTIFY_SOCKET on a machine without perl', () => {
  // PATH holds python3 and nothing else: no perl, no interpreter for a relay to find.
  const bin = mkdtempSync(join(tmpdir(), 'tend-noperl-'));
  mkdirSync(join(bin, 'bin'));
  const t = new TendHome({ PATH: join(bin, 'bin') });
  after(() => {
    t.cleanup();
    rmSync(bin, { recursive: true, force: true });
  });

  req.it('becomes online on READY=1 well before listen_timeout', async () => {
    assert.notEqual(python, '', 'python3 is needed');
    symlinkSync(python, join(bin, 'bin', 'python3'));
    assert.throws(() => execFileSync('perl', ['-e', '1'], { env: t.env, stdio: 'ignore' }), 'perl must not be reachable');
    const port = await freePort();
    const app = join(ROOT, 'examples', 'python-socket', 'app.py');
    const t0 = Date.now();
    const r = await t.run(
      ['start', app, '--name', 'py', '--listen', `127.0.0.1:${port}`, '--wait-ready', '--listen-timeout', '60s', '--json'],
      { timeoutMs: 90_000 },
    );
    const took = Date.now() - t0;
    assert.equal(r.code, 0, `${r.stderr}\n${holderLog(t.home)}`);
    const started = JSON.parse(r.stdout) as Row[];
    for (const r of started) t.remember(r);
    t.track(started[0]?.holderPid as number);
    assert.equal(started[0]?.status, 'online', JSON.stringify(started));
    // Without the relay the process would sit in launching until the 60 s listen_timeout.
    assert.ok(took < 30_000, `online after ${took} ms: READY=1 was not relayed\n${holderLog(t.home)}`);
    assert.match((await getFresh(port)) ?? '', /^hello from python/);
  });
});
