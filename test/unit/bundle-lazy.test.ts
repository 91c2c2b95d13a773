import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The daemon's memory (issue 23): Node's HTTP/TLS stacks cost ~3 MB RSS once required, crypto
// ~1 MB, and a daemon without the dashboard, webhooks, HTTP probes or archive reads never needs
// them (its random bytes come from /dev/urandom). In the
// bundle, a module required at start is a top-level `var x = require("node:…")`; one loaded on
// first use sits inside an esbuild initializer or a `Promise.resolve().then(() => require(…))`.
const HEAVY = /^var \w+ = (?:__toESM\()?require\("node:(http|https|http2|tls|zlib|crypto)"\)/gm;

describe('bundles load only what they use', () => {
  it('requires no HTTP, TLS, zlib or crypto module at start', () => {
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
});
