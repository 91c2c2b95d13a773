import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeApp } from '../../src/config/normalize.js';
import { coerceHealth } from '../../src/config/health-spec.js';
import { coerceCron, nextCronRun } from '../../src/config/cron.js';
import { isTendError } from '../../src/errors.js';

const ctx = { baseDir: '/', env: { PATH: '/usr/bin:/bin' }, source: 'command line' };
const rejects = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (err: unknown) => isTendError(err) && err.code === 'E_INVALID_VALUE' && pattern.test(err.message));
};

describe('max_memory_restart, cron_restart and health in the spec', () => {
  it('are null by default', () => {
    const { spec, warnings } = normalizeApp({ script: 'sleep', args: '100' }, ctx);
    assert.deepEqual(warnings, []);
    assert.equal(spec.maxMemoryRestartBytes, null);
    assert.equal(spec.cronRestart, null);
    assert.equal(spec.health, null);
  });

  it('take PM2 values and the CLI string forms', () => {
    const { spec } = normalizeApp(
      { script: 'sleep', max_memory_restart: '200M', cron: '0  3 * * *', health: 'http://127.0.0.1:3000/health' },
      ctx,
    );
    assert.equal(spec.maxMemoryRestartBytes, 200 * 1024 * 1024);
    assert.equal(spec.cronRestart, '0 3 * * *');
    assert.deepEqual(spec.health, {
      probe: { type: 'http', url: 'http://127.0.0.1:3000/health' },
      intervalMs: 10_000,
      timeoutMs: 5000,
      retries: 3,
      startPeriodMs: 0,
    });
  });

  it('reject invalid values with the field named', () => {
    rejects(() => normalizeApp({ script: 'sleep', max_memory_restart: 'lots' }, ctx), /max_memory_restart/);
    rejects(() => normalizeApp({ script: 'sleep', cron_restart: '61 * * * *' }, ctx), /cron_restart.*cron pattern/);
    rejects(() => normalizeApp({ script: 'sleep', cron_restart: 'every day' }, ctx), /cron_restart/);
    rejects(() => normalizeApp({ script: 'sleep', health: 'ftp://x' }, ctx), /health/);
  });
});

describe('health check forms', () => {
  it('tcp: a port, HOST:PORT, [v6]:PORT', () => {
    assert.deepEqual(coerceHealth('health', 3000).probe, { type: 'tcp', host: '127.0.0.1', port: 3000 });
    assert.deepEqual(coerceHealth('health', 'tcp:localhost:8080').probe, { type: 'tcp', host: 'localhost', port: 8080 });
    assert.deepEqual(coerceHealth('health', { tcp: '[::1]:9' }).probe, { type: 'tcp', host: '::1', port: 9 });
    rejects(() => coerceHealth('health', { tcp: 70000 }), /health\.tcp/);
  });

  it('exec, with timing fields', () => {
    const h = coerceHealth('health', { exec: 'test -f /tmp/ok', interval: '2s', timeout: 500, retries: 5, start_period: '1m' });
    assert.deepEqual(h, {
      probe: { type: 'exec', command: 'test -f /tmp/ok' },
      intervalMs: 2000,
      timeoutMs: 500,
      retries: 5,
      startPeriodMs: 60_000,
    });
    assert.deepEqual(coerceHealth('health', 'exec:true').probe, { type: 'exec', command: 'true' });
  });

  it('refuses two probes, none, unknown keys and silly numbers', () => {
    rejects(() => coerceHealth('health', { http: 'http://a/', tcp: 1 }), /exactly one/);
    rejects(() => coerceHealth('health', { interval: '1s' }), /exactly one/);
    rejects(() => coerceHealth('health', { tcp: 1, every: '1s' }), /health\.every/);
    rejects(() => coerceHealth('health', { tcp: 1, retries: 0 }), /health\.retries/);
    rejects(() => coerceHealth('health', { tcp: 1, interval: 5 }), /health\.interval/);
    rejects(() => coerceHealth('health', ['tcp', 1]), /health/);
  });
});

describe('cron patterns', () => {
  it('accepts PM2 forms and computes the next run', () => {
    assert.equal(coerceCron('cron_restart', '*/5 * * * * *'), '*/5 * * * * *');
    assert.equal(coerceCron('cron_restart', '@daily'), '@daily');
    const from = Date.UTC(2030, 0, 1, 2, 59, 30);
    const next = nextCronRun('0 3 * * *', from);
    assert.ok(next !== null && next > from && next - from <= 24 * 3600 * 1000);
    assert.equal(new Date(next).getMinutes(), 0);
  });
});
