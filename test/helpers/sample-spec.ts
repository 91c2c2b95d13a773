import type { AppSpec } from '../../src/protocol/app-spec.js';
import { logSpec } from '../fixtures/logs/log-test-kit.js';

/** A complete, valid AppSpec for unit tests (the defaults of `tend start /srv/api/server.js`). */
export function sampleSpec(overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name: 'api',
    namespace: 'default',
    exec: { script: '/srv/api/server.js', args: ['--port', '3000'], interpreter: 'node', interpreterArgs: [], shell: false },
    cwd: '/srv/api',
    env: { NODE_ENV: 'production' },
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
    log: logSpec(),
    instances: 1,
    execMode: 'fork',
    instanceVar: 'NODE_APP_INSTANCE',
    incrementVar: null,
    listen: [],
    shutdownWithMessage: false,
    maxMemoryRestartBytes: null,
    cronRestart: null,
    health: null,
    ...overrides,
  };
}
