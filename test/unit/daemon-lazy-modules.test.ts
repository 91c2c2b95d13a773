import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The daemon's memory (issue 23): Node's HTTP/TLS stacks cost ~3 MB RSS once required, crypto
// ~1 MB, and a daemon without the dashboard, webhooks, HTTP probes or archive reads never needs
// them (its random bytes come from /dev/urandom). In the
// bundle, a module required at start is a top-level `var x = require("node:…")`; one loaded on
// first use sits inside an esbuild initializer or a `Promise.resolve().then(() => require(…))`.
const HEAVY = /^var \w+ = (?:__toESM\()?require\("node:(http|https|http2|tls|zlib|crypto)"\)/gm;

describe('daemon bundle', () => {
  it('requires no HTTP, TLS, zlib or crypto module at start', () => {
    const bundle = readFileSync(new URL('../../daemon.cjs', import.meta.url), 'utf8');
    const eager = [...bundle.matchAll(HEAVY)].map((m) => m[1]);
    assert.deepEqual(eager, [], `dist/daemon.cjs requires ${eager.join(', ')} at start: load it on first use (await import())`);
  });
});
