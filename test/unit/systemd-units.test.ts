import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execArgv, renderAppUnit, type AppUnitOptions } from '../../src/exporters/app-unit.js';
import { renderBootUnit, type BootUnitOptions } from '../../src/boot/boot-unit.js';
import {
  environmentFileLine,
  environmentLine,
  escapeSpecifiers,
  execLine,
  quoteExecWord,
  timeSpan,
  unitNameFor,
} from '../../src/lib/systemd-syntax.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import type { ExecSpec } from '../../src/protocol/app-spec.js';
import { buildCommand } from '../../src/lib/command-line.js';
import { needs } from '../helpers/needs.js';
import { ROOT } from '../helpers/tend.js';

const spec = sampleSpec;

const OPTS: AppUnitOptions = {
  resolveProgram: (name) => (name === 'node' ? process.execPath : `/usr/bin/${name}`),
  envFilePath: (unit) => `/etc/tend/${unit.replace(/\.service$/, '.env')}`,
  user: null,
  rootless: false,
  generator: 'test',
};

const lines = (text: string): string[] => text.split('\n');

describe('systemd quoting', () => {
  it('leaves plain words bare and double-quotes the rest, escaping \\ " $ % and control characters', () => {
    assert.equal(quoteExecWord('/usr/bin/node'), '/usr/bin/node');
    assert.equal(quoteExecWord('--port=3000'), '--port=3000');
    assert.equal(quoteExecWord('two words'), '"two words"');
    assert.equal(quoteExecWord(''), '""');
    assert.equal(quoteExecWord('say "hi"'), '"say \\"hi\\""');
    assert.equal(quoteExecWord('$HOME'), '"$$HOME"');
    assert.equal(quoteExecWord('100%'), '"100%%"');
    assert.equal(quoteExecWord('a\\b'), '"a\\\\b"');
    assert.equal(quoteExecWord('l1\nl2\t'), '"l1\\nl2\\t"');
    assert.equal(quoteExecWord(';'), '";"');
    assert.equal(quoteExecWord('\u0001'), '"\\x01"');
  });

  it('refuses a command that does not start with an absolute path', () => {
    assert.throws(() => execLine(['node', 'x.js']), /absolute path/);
    assert.equal(execLine(['/bin/echo', 'a b', '%n']), '/bin/echo "a b" "%%n"');
  });

  it('Environment= quotes the whole assignment; % doubled, $ kept (no $-expansion there)', () => {
    assert.equal(environmentLine('A', 'plain'), 'Environment="A=plain"');
    assert.equal(environmentLine('A', 'with spaces'), 'Environment="A=with spaces"');
    assert.equal(environmentLine('A', 'say "hi"'), 'Environment="A=say \\"hi\\""');
    assert.equal(environmentLine('A', '$HOME ${X}'), 'Environment="A=$HOME ${X}"');
    assert.equal(environmentLine('A', '50% %n'), 'Environment="A=50%% %%n"');
    assert.equal(environmentLine('A', 'back\\slash\nnl'), 'Environment="A=back\\\\slash\\nnl"');
  });

  it('EnvironmentFile lines escape only what its double quotes unescape', () => {
    assert.equal(environmentFileLine('T', 'x"y$z`w\\v %n'), 'T="x\\"y\\$z\\`w\\\\v %n"');
    assert.equal(environmentFileLine('T', 'multi\nline'), 'T="multi\nline"');
  });

  it('specifiers, unit names and time spans', () => {
    assert.equal(escapeSpecifiers('/srv/100%/app'), '/srv/100%%/app');
    assert.equal(unitNameFor('web'), 'web.service');
    assert.equal(unitNameFor('web@2'), 'web_2.service');
    assert.equal(unitNameFor('ns:api.v2-x_y'), 'ns:api.v2-x_y.service');
    assert.equal(timeSpan(0), '0');
    assert.equal(timeSpan(5000), '5s');
    assert.equal(timeSpan(1500), '1500ms');
  });
});

describe('app units', () => {
  it('runs the same program and argv as the supervisor would', () => {
    const cases: ExecSpec[] = [
      { script: '/srv/a.js', args: ['x', 'y z'], interpreter: 'node', interpreterArgs: ['--max-old-space-size=256'], shell: false },
      { script: '/srv/a.py', args: [], interpreter: 'python3', interpreterArgs: ['-u'], shell: false },
      { script: '/usr/bin/redis-server', args: ['--port', '6380'], interpreter: null, interpreterArgs: [], shell: false },
      { script: 'echo $HOME && sleep 100', args: ["it's"], interpreter: null, interpreterArgs: [], shell: true },
    ];
    const resolve = (n: string): string => (n === 'node' ? process.execPath : n.startsWith('/') ? n : `/usr/bin/${n}`);
    for (const exec of cases) {
      const want = buildCommand(exec, process.execPath);
      assert.deepEqual(execArgv(exec, resolve), [resolve(want.file), ...want.args]);
    }
  });

  it('maps the restart policy, stop settings, cwd, user and journal logging', () => {
    const unit = renderAppUnit(
      spec({
        stopExitCodes: [0, 3],
        restartDelayMs: 250,
        maxRestarts: 4,
        minUptimeMs: 2000,
        killSignal: 'SIGINT',
        killTimeoutMs: 1500,
      }),
      { ...OPTS, user: 'www-data' },
    );
    const l = lines(unit.unit);
    for (const want of [
      'Type=exec',
      'WorkingDirectory=/srv/api',
      `ExecStart=${process.execPath} /srv/api/server.js --port 3000`,
      'User=www-data',
      'Environment="NODE_ENV=production"',
      'Environment="NODE_APP_INSTANCE=0"',
      'Environment="TEND_APP_NAME=api"',
      'Restart=always',
      'RestartSec=250ms',
      'RestartPreventExitStatus=0 3',
      'SuccessExitStatus=0 3',
      'StartLimitBurst=4',
      'StartLimitIntervalSec=9s',
      'KillSignal=SIGINT',
      'TimeoutStopSec=1500ms',
      'StandardOutput=journal',
      'StandardError=journal',
      'SyslogIdentifier=api',
      'WantedBy=multi-user.target',
    ])
      assert.ok(l.includes(want), `${want} in\n${unit.unit}`);
    assert.equal(unit.unitName, 'api.service');
    assert.equal(unit.envFile, null);
    assert.ok(l.indexOf('StartLimitBurst=4') < l.indexOf('[Service]'), 'start limits belong to [Unit]');
  });

  it('autorestart off is Restart=no without start limits; rootless units have no User= and want default.target', () => {
    const unit = renderAppUnit(spec({ autorestart: false }), { ...OPTS, user: 'ignored', rootless: true }).unit;
    assert.ok(lines(unit).includes('Restart=no'));
    assert.doesNotMatch(unit, /StartLimit|User=|After=network/);
    assert.ok(lines(unit).includes('WantedBy=default.target'));
  });

  it('puts secret-looking variables in the EnvironmentFile, never in the unit', () => {
    const unit = renderAppUnit(spec({ env: { API_TOKEN: 'tok"en', DB_PASSWORD: 'p$w', PORT: '80', 'BAD-NAME': 'x' } }), OPTS);
    assert.doesNotMatch(unit.unit, /tok|p\$w/);
    assert.ok(lines(unit.unit).includes('EnvironmentFile=/etc/tend/api.env'));
    assert.equal(unit.envFile?.split('\n').slice(1).join('\n'), 'API_TOKEN="tok\\"en"\nDB_PASSWORD="p\\$w"\n');
    assert.deepEqual(unit.skippedEnv, ['BAD-NAME']);
  });

  it('says in a comment what it cannot map', () => {
    const unit = renderAppUnit(spec({ waitReady: true, expBackoffRestartDelayMs: 100 }), OPTS).unit;
    assert.match(unit, /# wait_ready is not mapped/);
    assert.match(unit, /# exp_backoff_restart_delay \(100 ms\) is not mapped/);
  });
});

const BOOT: BootUnitOptions = {
  tendBin: join(ROOT, 'bin', 'tend'),
  home: '/home/al ice/.tend',
  path: '/usr/local/bin:/usr/bin:/bin',
  user: 'alice',
  rootless: false,
  runtimeDir: 'tend-alice',
  generator: 'test',
};

describe('boot unit', () => {
  it('runs the daemon with readiness, resurrects once per boot, and leaves apps to the next daemon', () => {
    const l = lines(renderBootUnit(BOOT));
    const bin = BOOT.tendBin;
    for (const want of [
      'Type=notify',
      'NotifyAccess=all',
      'User=alice',
      'Environment="PATH=/usr/local/bin:/usr/bin:/bin"',
      'Environment="TEND_HOME=/home/al ice/.tend"',
      `ExecStartPre=-${bin} daemon stop`,
      `ExecStart=${bin} daemon run`,
      `ExecStartPost=-${bin} resurrect --boot`,
      'RuntimeDirectory=tend-alice',
      'RuntimeDirectoryPreserve=yes',
      'KillMode=process',
      'OOMPolicy=continue',
      'Restart=on-failure',
      'After=network.target',
      'WantedBy=multi-user.target',
    ])
      assert.ok(l.includes(want), want);
    const stop = l.find((x) => x.startsWith('ExecStop='));
    // As root (+), then as the home's owner for `tend kill` (runuser): tend refuses a home its caller does not own.
    assert.equal(
      stop,
      `ExecStop=+/bin/sh -c "if [ \\"$$(systemctl is-system-running 2>/dev/null)\\" = stopping ]; then PATH=\\"$$PATH:/usr/sbin:/sbin\\" exec runuser -u \\"$$1\\" -- \\"$$0\\" kill; fi" ${bin} alice`,
    );
  });

  it('rootless: systemctl --user in ExecStop, default.target, no User=', () => {
    const text = renderBootUnit({ ...BOOT, rootless: true, user: null, runtimeDir: 'tend' });
    assert.match(text, /systemctl --user is-system-running/);
    assert.match(text, /^ExecStop=\/bin\/sh /m);
    assert.ok(lines(text).includes('WantedBy=default.target'));
    assert.doesNotMatch(text, /User=|After=network/);
  });
});

// systemd-analyze verify in a temporary unit dir, on the host (no running systemd needed).
function analyzeVerify(): string | null {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'systemd-analyze is not installed';
  }
}
const verifier = needs(analyzeVerify());

describe('systemd-analyze verify', () => {
  let dir = '';
  verifier.before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tend-units-'));
  });
  verifier.after(() => rmSync(dir, { recursive: true, force: true }));
  const verify = (files: string[]): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        'systemd-analyze',
        ['verify', '--man=no', ...files],
        { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } },
        (err, _out, stderr) => {
          resolve({ code: err === null ? 0 : 1, stderr });
        },
      );
    });

  verifier.it('passes with no warnings for app units (tricky env, args and names) and both boot units', async () => {
    const files: string[] = [];
    const write = (name: string, text: string): void => {
      const file = join(dir, name);
      writeFileSync(file, text);
      files.push(file);
    };
    const tricky = spec({
      name: 'web@1',
      exec: {
        script: '/srv/a b/100%.js',
        args: ['$HOME', 'say "hi"', '', ';', 'back\\slash'],
        interpreter: 'node',
        interpreterArgs: ['--inspect=0'],
        shell: false,
      },
      cwd: '/srv/a b/%h',
      env: { SPACED: 'a b', QUOTED: '"x" \'y\'', DOLLAR: '$PATH ${HOME}', PCT: '%n %% %', NL: 'a\nb', SECRET_KEY: 'k' },
      stopExitCodes: [0, 2],
      restartDelayMs: 100,
      killSignal: 'SIGQUIT',
    });
    const unit = renderAppUnit(tricky, { ...OPTS, envFilePath: (u) => join(dir, u.replace(/\.service$/, '.env')) });
    write(unit.unitName, unit.unit);
    writeFileSync(join(dir, 'web_1.env'), unit.envFile ?? '', { mode: 0o600 });
    write(
      'shell.service',
      renderAppUnit(
        spec({ name: 'shell', exec: { script: 'sleep 100 && echo $X', args: [], interpreter: null, interpreterArgs: [], shell: true } }),
        OPTS,
      ).unit,
    );
    write('off.service', renderAppUnit(spec({ name: 'off', autorestart: false }), OPTS).unit);
    write('tend-root.service', renderBootUnit({ ...BOOT, user: null, runtimeDir: 'tend-root' }));
    write('tend-alice.service', renderBootUnit({ ...BOOT, user: 'root' }));
    const r = await verify(files);
    assert.equal(r.stderr.trim(), '', r.stderr);
    assert.equal(r.code, 0);
  });

  verifier.it('does report problems here (so the check above means something)', async () => {
    const file = join(dir, 'bad.service');
    writeFileSync(file, '[Service]\nExecStart=/bin/true\nEnvironment=BAD-NAME=x\nNoSuchSetting=1\n');
    const r = await verify([file]);
    assert.match(r.stderr, /NoSuchSetting|BAD-NAME/);
  });
});
