import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { describe, it } from 'node:test';
import { isTendError } from '../../src/errors.js';
import { resolveBootTarget } from '../../src/boot/boot-target.js';

const me = userInfo();

describe('resolveBootTarget', () => {
  it('root: a system unit named for the user, in /etc/systemd/system, TEND_HOME under their home', () => {
    const t = resolveBootTarget({ user: undefined, rootless: false, env: {}, uid: 0 });
    assert.equal(t.mode, 'system');
    assert.equal(t.unitName, `tend-${me.username}.service`);
    assert.equal(t.unitFile, `/etc/systemd/system/tend-${me.username}.service`);
    assert.equal(t.home, `${me.homedir}/.tend`);
    assert.equal(t.runtimeDir, `tend-${me.username}`);
    assert.equal(t.xdgRuntimeDir, null);
  });

  it('root with --user NAME: that account, its home; TEND_HOME wins when set', () => {
    const t = resolveBootTarget({ user: 'root', rootless: false, env: { TEND_HOME: '/srv/tend' }, uid: 0 });
    assert.equal(t.user, 'root');
    assert.equal(t.home, '/srv/tend');
  });

  it('not root: a rootless unit under XDG_CONFIG_HOME, runtime dir from XDG_RUNTIME_DIR or /run/user/UID', () => {
    const t = resolveBootTarget({ user: undefined, rootless: false, env: { XDG_CONFIG_HOME: '/cfg' }, uid: 1234 });
    assert.equal(t.mode, 'rootless');
    assert.equal(t.unitName, 'tend.service');
    assert.equal(t.unitFile, '/cfg/systemd/user/tend.service');
    assert.equal(t.xdgRuntimeDir, `/run/user/${me.uid}`);
    const u = resolveBootTarget({ user: undefined, rootless: true, env: { XDG_RUNTIME_DIR: '/run/user/77' }, uid: 1234 });
    assert.equal(u.unitFile, `${me.homedir}/.config/systemd/user/tend.service`);
    assert.equal(u.xdgRuntimeDir, '/run/user/77');
  });

  it('rejects bad combinations with a usage error and a hint', () => {
    const cases: [Parameters<typeof resolveBootTarget>[0], RegExp, RegExp][] = [
      [{ user: 'root', rootless: true, env: {}, uid: 0 }, /--user and --rootless/, /system unit/],
      [{ user: undefined, rootless: true, env: {}, uid: 0 }, /--rootless is for unprivileged users/, /--user NAME/],
      [{ user: 'bob', rootless: false, env: {}, uid: 1000 }, /needs root/, /sudo env PATH="\$PATH" .* startup --user bob/],
      [{ user: 'no-such-user-tend', rootless: false, env: {}, uid: 0 }, /no user named `no-such-user-tend`/, /getent passwd/],
    ];
    for (const [req, message, hint] of cases) {
      assert.throws(
        () => resolveBootTarget(req),
        (err: unknown) => {
          assert.ok(isTendError(err));
          assert.equal(err.exitCode, 2);
          assert.match(err.message, message);
          assert.match(err.hint ?? '', hint);
          return true;
        },
      );
    }
  });
});
