import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp, makeIgnore } from '../../src/watch/ignore-rules.js';
import { buildWatchSpec } from '../../src/config/watch-spec.js';

describe('watch ignore rules', () => {
  const ctx = { cwd: '/srv/app', home: '/home/u/.tend', logFiles: ['/srv/app/logs/out.log'] };

  it("always ignores node_modules, .git, TEND_HOME and the app's log files with their archives", () => {
    const ig = makeIgnore([], ctx);
    assert.equal(ig('/srv/app/node_modules/x/index.js'), true);
    assert.equal(ig('/srv/app/.git/HEAD'), true);
    assert.equal(ig('/home/u/.tend/logs/app-out.log'), true);
    assert.equal(ig('/srv/app/logs/out.log'), true);
    assert.equal(ig('/srv/app/logs/out.log.20260101T000000.000'), true);
    assert.equal(ig('/srv/app/logs/other.log'), false);
    assert.equal(ig('/srv/app/src/index.js'), false);
  });

  it('matches names and globs per segment, slashed patterns from the cwd and below', () => {
    const ig = makeIgnore(['tmp', '*.log', 'src/gen', 'dist/**/*.map', './cache/'], ctx);
    assert.equal(ig('/srv/app/a/tmp/b.js'), true);
    assert.equal(ig('/srv/app/x.log'), true);
    assert.equal(ig('/srv/app/src/gen/a/b.ts'), true);
    assert.equal(ig('/srv/app/src/general.ts'), false);
    assert.equal(ig('/srv/app/dist/a/b/c.js.map'), true);
    assert.equal(ig('/srv/app/dist/c.js.map'), true);
    assert.equal(ig('/srv/app/dist/c.js'), false);
    assert.equal(ig('/srv/app/cache/z'), true);
  });

  it('names match below the cwd or the watched root, never the folders above them (an app in /tmp that ignores tmp)', () => {
    const ig = makeIgnore(['tmp', 'data'], { ...ctx, cwd: '/tmp/app' }, ['/tmp/app', '/srv/data/shared']);
    assert.equal(ig('/tmp/app'), false);
    assert.equal(ig('/tmp/app/server.js'), false);
    assert.equal(ig('/tmp/app/tmp/upload.bin'), true);
    assert.equal(ig('/srv/data/shared'), false);
    assert.equal(ig('/srv/data/shared/config.json'), false);
    assert.equal(ig('/srv/data/shared/data/x'), true);
  });

  it('globs: * stays in a segment, ** crosses them, regex characters are literal', () => {
    assert.equal(globToRegExp('a*.js').test('abc.js'), true);
    assert.equal(globToRegExp('a*.js').test('a/b.js'), false);
    assert.equal(globToRegExp('a/**').test('a/b/c'), true);
    assert.equal(globToRegExp('a+b.js').test('a+b.js'), true);
    assert.equal(globToRegExp('a+b.js').test('aab.js'), false);
  });

  it('builds the spec: true = cwd, relative paths from cwd, extensions trimmed, options checked', () => {
    const w: string[] = [];
    const spec = buildWatchSpec(
      {
        watch: true,
        ignore: [],
        delayMs: 300,
        extensions: ['.js,json', '*.ts'],
        options: { usePolling: true, interval: 500, persistent: true },
      },
      '/srv/app',
      'test',
      w,
    );
    assert.deepEqual(spec?.paths, ['/srv/app']);
    assert.deepEqual(spec?.extensions, ['js', 'json', 'ts']);
    assert.equal(spec?.usePolling, true);
    assert.equal(spec?.intervalMs, 500);
    assert.equal(w.length, 1);
    assert.match(w[0] ?? '', /watch_options.persistent/);
    assert.equal(buildWatchSpec({ watch: false, ignore: [], delayMs: 0, extensions: [], options: undefined }, '/x', 't', w), undefined);
    assert.deepEqual(
      buildWatchSpec({ watch: ['src', '/abs'], ignore: [], delayMs: 0, extensions: [], options: undefined }, '/x', 't', w)?.paths,
      ['/x/src', '/abs'],
    );
    assert.throws(
      () => buildWatchSpec({ watch: true, ignore: [], delayMs: 0, extensions: [], options: { interval: 'fast' } }, '/x', 't', w),
      /watch_options.interval/,
    );
  });
});
