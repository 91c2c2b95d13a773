import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { needs } from '../helpers/needs.js';
import { ROOT, TendHome, fixture, waitFor } from '../helpers/tend.js';

const curl = needs(spawnSync('curl', ['--version']).status === 0 ? null : 'curl is not installed');

/** The chat-webhook hook command of docs/configuration.md, as the user copies it. */
function readmeChatHook(): string {
  const m = /^const chat = `([^`]+)`;$/m.exec(readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8'));
  assert.ok(m !== null, 'docs/configuration.md shows `const chat = `…``');
  return m[1] as string;
}

describe('the documented chat-webhook hook with a hostile app name', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-hook-example-'));
  let server: Server;
  let url = '';
  const bodies: string[] = [];
  curl.before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/chat`;
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  });

  curl.it('posts exactly one `text` field, the name kept as text', async () => {
    const name = `x", "text": "pwned", "y": "\\ it's $(id) \``;
    const app = {
      name,
      script: fixture('crash-after.js'),
      max_restarts: 1,
      min_uptime: 5000,
      env: { CHAT_WEBHOOK_URL: url },
      hooks: { errored: readmeChatHook() },
    };
    writeFileSync(join(dir, 'ecosystem.config.cjs'), `module.exports = { apps: [${JSON.stringify(app)}] };\n`);
    const r = await t.run(['start', join(dir, 'ecosystem.config.cjs')]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => bodies.length > 0, 'the chat webhook to be called', 20_000);
    const message = JSON.parse(bodies[0] as string) as Record<string, unknown>;
    assert.deepEqual(message, { text: `${name} is errored on ${hostname()}` });
  });
});
