import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { TendHome } from '../helpers/tend.js';

describe('test daemons run in a clean environment', () => {
  const saved = { INVOCATION_ID: process.env.INVOCATION_ID, NOTIFY_SOCKET: process.env.NOTIFY_SOCKET };
  // As under a systemd-run CI runner: these must never reach a test daemon.
  process.env.INVOCATION_ID = '0123456789abcdef0123456789abcdef';
  process.env.NOTIFY_SOCKET = '/run/systemd/notify';
  const t = new TendHome();
  after(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await t.cleanup();
  });

  it("the daemon does not inherit the runner's unit (INVOCATION_ID, NOTIFY_SOCKET)", async () => {
    const r = await t.run(['ping']);
    assert.equal(r.code, 0, r.stderr);
    const pid = t.daemonPid() as number;
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes(`TEND_HOME=${t.home}`), 'the daemon of this home');
    assert.equal(env.filter((e) => e.startsWith('INVOCATION_ID=') || e.startsWith('NOTIFY_SOCKET=')).length, 0);
  });
});
