import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, it } from 'node:test';
import { CARRIED_CA_VAR, carryExtraCaCerts, extraCaOptions, restoreExtraCaCerts } from '../../src/extra-ca.js';

describe('NODE_EXTRA_CA_CERTS carried past start-up', () => {
  it('is carried under another name and put back as it was', () => {
    const carried = carryExtraCaCerts({ PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
    assert.deepEqual(carried, { PATH: '/bin', [CARRIED_CA_VAR]: '/etc/ca.pem' });
    restoreExtraCaCerts(carried);
    assert.deepEqual(carried, { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  });

  it('an empty carrier (the shebang expands an unset variable to nothing) leaves it unset', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/bin', [CARRIED_CA_VAR]: '' };
    restoreExtraCaCerts(env);
    assert.deepEqual(env, { PATH: '/bin' });
    assert.deepEqual(carryExtraCaCerts({ PATH: '/bin' }), { PATH: '/bin' });
  });

  it("the daemon's own HTTPS requests trust Node's roots plus the file's certificates", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-ca-'));
    try {
      const file = join(dir, 'ca.pem');
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const { ca } = await extraCaOptions({ NODE_EXTRA_CA_CERTS: file });
      assert.equal(ca?.length, rootCertificates.length + 1);
      assert.match(ca?.at(-1) ?? '', /MIIB/);
      assert.deepEqual(await extraCaOptions({}), {}, 'unset: Node defaults');
      assert.deepEqual(await extraCaOptions({ NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') }), {}, 'unreadable: Node defaults');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
