import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specChanges } from '../../src/config/spec-changes.js';
import { findField } from '../../src/config/schema.js';
import { specsEqual } from '../../src/config/specs-equal.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';

const spec = (overrides: Partial<AppSpec> = {}): AppSpec => sampleSpec({ env: { A: '1', SECRET_KEY: 's1' }, ...overrides });

describe('specChanges (apply --dry-run)', () => {
  it('names each changed setting by its config key, a variable by its name only', () => {
    const base = spec();
    const changed = specChanges(
      base,
      spec({
        env: { A: '1', SECRET_KEY: 's2', NEW: 'x' },
        exec: { ...base.exec, interpreterArgs: ['--inspect'] },
        log: { ...base.log, errFile: '/tmp/e.log', maxSizeBytes: 1 },
        restartDelayMs: 5,
        maxMemoryRestartBytes: 1024,
        cronRestart: '0 * * * *',
        instances: 3,
      }),
    );
    assert.deepEqual([...changed].sort(), [
      'cron_restart',
      'env.NEW',
      'env.SECRET_KEY',
      'error_file',
      'instances',
      'interpreter_args',
      'log_max_size',
      'max_memory_restart',
      'restart_delay',
    ]);
    for (const key of changed.filter((k) => !k.startsWith('env.'))) assert.ok(findField(key) !== undefined, `${key} is a config key`);
    assert.doesNotMatch(JSON.stringify(changed), /s2/);
  });

  it('a variable the file starts or stops setting, with the value it inherits, is named as that variable', () => {
    const inherited = spec({ env: { A: '1', HOME: '/root' }, userEnv: ['A'] });
    assert.deepEqual(specChanges(inherited, spec({ env: { A: '1', HOME: '/root' }, userEnv: ['A', 'HOME'] })), ['env.HOME']);
    assert.deepEqual(specChanges(inherited, spec({ env: { A: '1', HOME: '/root', B: '2' }, userEnv: ['A', 'B'] })), ['env.B']);
  });

  it('is empty for equal specs, and the file a spec came from is not a change', () => {
    assert.deepEqual(specChanges(spec(), spec()), []);
    assert.deepEqual(specChanges(spec(), spec({ configFile: '/srv/a/tend.config.json' })), []);
    assert.equal(specsEqual(spec(), spec({ configFile: '/srv/a/tend.config.json' })), true);
  });
});
