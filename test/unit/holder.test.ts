import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTendError } from '../../src/errors.js';
import { workerEnv } from '../../src/holder/driver.js';
import { openListenSockets } from '../../src/holder/listen-sockets.js';
import { parseListenAddress, resolveInstanceCount } from '../../src/lib/listen-address.js';
import { normalizeApp } from '../../src/config/normalize.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import { fixture, freePort } from '../helpers/tend.js';
import { connect } from 'node:net';

describe('listen addresses', () => {
  it('parses ports, host:port, [v6]:port and unix paths', () => {
    assert.deepEqual(parseListenAddress('8080'), { kind: 'tcp', host: null, port: 8080, text: '8080' });
    assert.deepEqual(parseListenAddress('127.0.0.1:9000'), { kind: 'tcp', host: '127.0.0.1', port: 9000, text: '127.0.0.1:9000' });
    assert.deepEqual(parseListenAddress('[::1]:9000'), { kind: 'tcp', host: '::1', port: 9000, text: '[::1]:9000' });
    assert.deepEqual(parseListenAddress('unix:/run/app.sock'), { kind: 'unix', path: '/run/app.sock', text: 'unix:/run/app.sock' });
  });

  it('refuses garbage with the "Expected … got …" message', () => {
    for (const bad of ['', 'http', '99999', '0', 'a b:80', '::1:80', 'unix:relative.sock', `unix:/${'x'.repeat(120)}`]) {
      assert.throws(
        () => parseListenAddress(bad),
        (e: unknown) => isTendError(e) && e.code === 'E_INVALID_VALUE' && /Expected `listen`/.test(e.message),
        bad,
      );
    }
  });

  it('resolves PM2 instance counts: n, 0/max = CPUs, -n = CPUs minus n, never below 1', () => {
    assert.equal(resolveInstanceCount(3, 8), 3);
    assert.equal(resolveInstanceCount(0, 8), 8);
    assert.equal(resolveInstanceCount(-1, 8), 7);
    assert.equal(resolveInstanceCount(-4, 2), 1);
  });
});

describe('worker environment', () => {
  it('sets the instance variable and increments increment_var per instance', () => {
    const spec = sampleSpec({ env: { PORT: '3000', A: 'b' }, instanceVar: 'INST', incrementVar: 'PORT' });
    assert.deepEqual(workerEnv(spec, 2, { TEND_APP_NAME: 'api' }), { PORT: '3002', A: 'b', TEND_APP_NAME: 'api', INST: '2' });
    const noBase = sampleSpec({ env: {}, incrementVar: 'PORT' });
    assert.equal(workerEnv(noBase, 1, {}).PORT, undefined);
  });
});

describe('cluster fields of a spec', () => {
  const ctx = { baseDir: '/', env: { PATH: process.env.PATH ?? '' }, source: 'test' };
  it('instances > 1 means cluster mode; max is 0; listen turns any language into sockets mode', () => {
    const a = normalizeApp({ script: fixture('forever.js'), instances: 'max' }, ctx).spec;
    assert.equal(a.instances, 0);
    assert.equal(a.execMode, 'cluster');
    const b = normalizeApp({ script: 'sleep', interpreter: 'none', instances: 3, listen: ['127.0.0.1:8080'] }, ctx).spec;
    assert.equal(b.execMode, 'fork');
    assert.deepEqual(b.listen, ['127.0.0.1:8080']);
  });

  it('refuses cluster mode for a non-Node command, pointing to --listen', () => {
    assert.throws(
      () => normalizeApp({ script: 'sleep', interpreter: 'none', instances: 2 }, ctx),
      (e: unknown) => isTendError(e) && /--listen/.test(e.hint ?? ''),
    );
    assert.throws(
      () => normalizeApp({ script: fixture('forever.js'), instance_var: '1X' }, ctx),
      (e: unknown) => isTendError(e) && e.code === 'E_INVALID_VALUE',
    );
  });
});

describe('held sockets', () => {
  it('are listening (connections wait in the backlog) without this process accepting them', async () => {
    const port = await freePort();
    const [sock] = openListenSockets([`127.0.0.1:${port}`]);
    try {
      // The kernel completes the handshake from the backlog: connect succeeds, nobody accepts.
      await new Promise<void>((resolve, reject) => {
        const c = connect(port, '127.0.0.1', () => {
          c.destroy();
          resolve();
        });
        c.on('error', reject);
      });
      assert.ok((sock?.fd ?? -1) > 2);
      assert.equal(sock?.name, `127.0.0.1_${port}`);
    } finally {
      sock?.close();
    }
  });
});
