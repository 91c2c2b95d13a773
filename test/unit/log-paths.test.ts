import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logPathsFor } from '../../src/daemon/log-router.js';
import { tendPaths } from '../../src/store/paths.js';
import { sampleSpec } from '../helpers/sample-spec.js';

const paths = tendPaths('/home/u/.tend');
const log = sampleSpec().log;

describe('log file names', () => {
  it("PM2's -<id> for a fork app without merge_logs", () => {
    assert.deepEqual(logPathsFor(paths, sampleSpec(), 3), {
      out: '/home/u/.tend/logs/api-out-3.log',
      err: '/home/u/.tend/logs/api-error-3.log',
      combined: null,
    });
  });
  it('one file for all the instances of a pooled app is not named after one instance', () => {
    for (const spec of [sampleSpec({ instances: 2, execMode: 'cluster' }), sampleSpec({ instances: 2, listen: ['8080'] })]) {
      const files = logPathsFor(paths, { ...spec, log: { ...log, combinedFile: '/var/log/api.log' } }, 0);
      assert.deepEqual(files, {
        out: '/home/u/.tend/logs/api-out.log',
        err: '/home/u/.tend/logs/api-error.log',
        combined: '/var/log/api.log',
      });
    }
  });
  it('merge_logs: no suffix', () => {
    assert.equal(logPathsFor(paths, sampleSpec({ log: { ...log, merge: true } }), 5).out, '/home/u/.tend/logs/api-out.log');
  });
});
