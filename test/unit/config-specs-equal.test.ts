import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specsEqual } from '../../src/config/specs-equal.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';

function spec(overrides: Partial<AppSpec> = {}): AppSpec {
  return sampleSpec({ env: { A: '1', B: '2' }, ...overrides });
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
