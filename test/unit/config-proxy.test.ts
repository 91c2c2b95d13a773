import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { normalizeApp } from '../../src/config/normalize.js';
import { checkAppSpec } from '../../src/config/spec-check.js';
import { containerApp } from '../../src/exporters/kubernetes/container-app.js';
import { isPooled } from '../../src/supervisor/pool-holder.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import { TEST_ENV, makeTempProject } from '../fixtures/configs/temp-project.js';

const project = makeTempProject();
after(() => project.remove());
project.write({ 'app.py': '' });

const normalize = (raw: Record<string, unknown>) =>
  normalizeApp({ script: 'app.py', ...raw }, { baseDir: project.dir, env: TEST_ENV, source: 'command line' }).spec;

describe('proxy mode settings (proxy, proxy_port_env)', () => {
  it('keeps the public address in normalized form, PORT by default, and runs under a holder', () => {
    const spec = normalize({ proxy: '8080' });
    assert.deepEqual(spec.proxy, { listen: '8080', portEnv: 'PORT' });
    assert.equal(isPooled(spec), true);
    assert.deepEqual(normalize({ proxy: 'localhost:9000', proxy_port_env: 'HTTP_PORT' }).proxy, {
      listen: 'localhost:9000',
      portEnv: 'HTTP_PORT',
    });
    assert.equal(normalize({}).proxy, undefined);
  });

  it('runs several instances of any language itself, not in cluster mode', () => {
    const spec = normalize({ proxy: '[::1]:8080', instances: 3 });
    assert.equal(spec.execMode, 'fork');
    assert.equal(spec.instances, 3);
  });

  it('refuses what cannot work, with what to do', () => {
    for (const [raw, message] of [
      [{ proxy: 'unix:/tmp/a.sock' }, /`proxy` must be a TCP address/],
      [{ proxy: 'not an address' }, /Expected `proxy` to be a port/],
      [{ proxy: '8080', listen: ['8081'] }, /give `proxy` or `listen`, not both/],
      [{ proxy: '8080', exec_mode: 'cluster' }, /cannot be cluster mode/],
      [{ proxy: '8080', proxy_port_env: 'MY-PORT' }, /`proxy_port_env` to be a variable name/],
      [{ proxy: '8080', ready_log_line: 'ready' }, /`ready_log_line` is not supported/],
    ] as const) {
      assert.throws(
        () => normalize(raw),
        (err: Error & { code?: string }) => err.code === 'E_INVALID_VALUE' && message.test(err.message),
        JSON.stringify(raw),
      );
    }
  });

  it('checks a stored or received spec: its proxy must be what the loader builds', () => {
    const spec = normalize({ proxy: '127.0.0.1:8080' });
    assert.deepEqual(checkAppSpec(JSON.parse(JSON.stringify(spec)), 'test').proxy, spec.proxy);
    for (const proxy of [
      { listen: '127.0.0.1:8080' },
      { listen: 'unix:/a.sock', portEnv: 'PORT' },
      { listen: ' 8080', portEnv: 'PORT' },
      'x',
    ]) {
      assert.throws(() => checkAppSpec({ ...spec, proxy }, 'state file'), /state file: .*proxy/, JSON.stringify(proxy));
    }
  });

  it('exports for a container as an app on the public port: no proxy there, the port variable set to it', () => {
    const app = containerApp(
      sampleSpec({ proxy: { listen: '127.0.0.1:8080', portEnv: 'HTTP_PORT' } }),
      { image: 'node:20', workdir: null },
      {},
    );
    assert.ok(!('error' in app));
    assert.equal(app.port, 8080);
    assert.equal(app.plainEnv.HTTP_PORT, '8080');
  });
});
