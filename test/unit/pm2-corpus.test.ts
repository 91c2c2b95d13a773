import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { isTendError } from '../../src/errors.js';

// Every file of a corpus of real PM2 ecosystem files loads, or is refused with a one-line error
// that names the file. The corpus is not in this repository (its files belong to their authors):
// BENCHMARKS.md says how to rebuild it from the sources listed in bench/pm2-corpus/; point
// TEND_PM2_CORPUS at the folders (colon-separated), each with its manifest.json. The comparison
// with PM2 itself (same processes, env, args, cwd, logs) is `node dist/bench/pm2-corpus.js`.

interface Entry {
  source: string;
  dir: string | null;
  file?: string;
}

const corpora = (process.env.TEND_PM2_CORPUS ?? '').split(':').filter(Boolean);
const skip = corpora.length === 0 ? 'TEND_PM2_CORPUS is not set (see BENCHMARKS.md, "PM2 ecosystem files")' : false;

describe('PM2 corpus: every real file loads or is refused in one line', { skip }, () => {
  for (const corpus of corpora) {
    const entries = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as Entry[];
    for (const e of entries) {
      if (e.dir === null || e.file === undefined) continue;
      it(e.source, async () => {
        const sandbox = mkdtempSync(join(tmpdir(), 'tend-corpus-'));
        try {
          cpSync(resolve(corpus, e.dir as string), sandbox, { recursive: true, filter: (p) => !p.includes('node_modules') });
          const file = join(sandbox, e.file as string);
          if (!existsSync(file)) return;
          try {
            const loaded = await loadConfigFile(file, {
              cwd: dirname(file),
              env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox },
            });
            for (const f of loaded.failed) assert.doesNotMatch(f.message, /\n/, `${f.name}: one line`);
            for (const app of loaded.apps) assert.ok(app.name.length > 0 && app.exec.script.length > 0);
          } catch (err) {
            assert.ok(isTendError(err), `not a TendError: ${(err as Error).stack ?? String(err)}`);
            assert.doesNotMatch(err.message, /\n/, 'one line');
            assert.ok(err.message.includes(e.file as string), `names the file: ${err.message}`);
          }
        } finally {
          rmSync(sandbox, { recursive: true, force: true });
        }
      });
    }
  }
});
