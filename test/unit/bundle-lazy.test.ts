import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The daemon's memory (issue 23): Node's HTTP/TLS stacks cost ~3 MB RSS once required, crypto
// ~1 MB, and a daemon without the dashboard, webhooks, HTTP probes or archive reads never needs
// them (its random bytes come from /dev/urandom). In the
// bundle, a module required at start is a top-level `var x = require("node:…")`; one loaded on
// first use sits inside an esbuild initializer or a `Promise.resolve().then(() => require(…))`.
const HEAVY = /^var \w+ = (?:__toESM\()?require\("node:(http|https|http2|tls|zlib|crypto|fs\/promises)"\)/gm;
const bundleText = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('bundles load only what they use', () => {
  it('requires no HTTP, TLS, zlib, crypto or fs/promises module at start', () => {
    const bundle = readFileSync(new URL('../../daemon.cjs', import.meta.url), 'utf8');
    const eager = [...bundle.matchAll(HEAVY)].map((m) => m[1]);
    assert.deepEqual(eager, [], `dist/daemon.cjs requires ${eager.join(', ')} at start: load it on first use (await import())`);
  });

  // Every CLI call parses dist/cli.cjs whole: the commands (and the daemon, which `daemon run` and
  // `run` start) must stay in dist/commands/, required by the verb that needs them.
  it('keeps the commands, the daemon and the supervisor out of the CLI core', () => {
    const cli = readFileSync(new URL('../../cli.cjs', import.meta.url), 'utf8');
    const inlined = [...cli.matchAll(/^\/\/ (src\/(?:cli\/commands|daemon|supervisor)\/[\w-]+\.ts)$/gm)].map((m) => m[1]);
    assert.deepEqual(inlined, [], `dist/cli.cjs inlines ${inlined.slice(0, 5).join(', ')}…: see lazy-commands in scripts/bundle.mjs`);
  });

  // `tend start app.js`, `restart`, `stop`: the config loader (schema, parsers), croner and
  // node:child_process cost ~10 ms of CPU per call when bundled in (issue 23).
  it('keeps the config loader, croner and child_process out of start, restart and stop', () => {
    for (const name of ['commands/start.cjs', 'commands/target-action.cjs']) {
      const text = bundleText(name);
      const inlined = [...text.matchAll(/^\/\/ (src\/config\/load\.ts|\S*node_modules\/croner\/\S+)$/gm)].map((m) => m[1]);
      assert.deepEqual(inlined, [], `dist/${name} inlines ${inlined.join(', ')}: see lazy-config-loader in scripts/bundle.mjs`);
      assert.doesNotMatch(
        text,
        /^var \w+ = (?:__toESM\()?require\("node:child_process"\)/m,
        `dist/${name} requires node:child_process at start`,
      );
    }
  });

  // One non-ASCII character (a comment esbuild carried over) makes V8 hold a bundle's whole
  // source as a two-byte string: 0.45 MB more of the daemon's heap.
  it('writes every bundle in ASCII', () => {
    for (const name of ['daemon.cjs', 'cli.cjs', 'holder.cjs', 'commands/run.cjs', 'commands/config-load.cjs']) {
      const at = bundleText(name).search(/[^\x00-\x7f]/);
      assert.equal(at, -1, `dist/${name} has a non-ASCII character at offset ${at}`);
    }
  });
});
