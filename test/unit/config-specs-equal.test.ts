import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specsEqual } from '../../src/config/specs-equal.js';
import type { AppSpec } from '../../src/protocol/model.js';

function spec(overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name: 'api',
    namespace: 'default',
    exec: { script: '/srv/api/server.js', args: ['--port', '3000'], interpreter: 'node', interpreterArgs: [], shell: false },
    cwd: '/srv/api',
    env: { A: '1', B: '2' },
    autorestart: true,
    stopExitCodes: [],
    restartDelayMs: 0,
    expBackoffRestartDelayMs: 0,
    maxRestarts: 16,
    minUptimeMs: 1000,
    killSignal: 'SIGTERM',
    killTimeoutMs: 5000,
    waitReady: false,
    listenTimeoutMs: 3000,
    log: {
      outFile: null, errFile: null, combinedFile: null, merge: false, disabled: false, time: false, dateFormat: null,
      type: 'raw', maxSizeBytes: 10485760, rotateInterval: 'none', retain: 5, compress: false,
    },
    ...overrides,
  };
}

describe('specsEqual', () => {
  it('is true for equal specs, whatever the order of env keys, and after a JSON round trip', () => {
    assert.equal(specsEqual(spec(), spec({ env: { B: '2', A: '1' } })), true);
    assert.equal(specsEqual(spec(), JSON.parse(JSON.stringify(spec())) as AppSpec), true);
  });

  it('sees a change anywhere', () => {
    const base = spec();
    const changes: Partial<AppSpec>[] = [
      { env: { A: '1', B: '3' } },
      { env: { A: '1' } },
      { env: { A: '1', B: '2', C: '3' } },
      { exec: { ...base.exec, args: ['3000', '--port'] } },
      { exec: { ...base.exec, interpreter: null } },
      { killTimeoutMs: 6000 },
      { stopExitCodes: [0] },
      { log: { ...base.log, outFile: '/tmp/out.log' } },
      { cwd: '/srv/other' },
    ];
    for (const change of changes) assert.equal(specsEqual(base, spec(change)), false, JSON.stringify(change));
  });
});
