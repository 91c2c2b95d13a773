import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { FILES, completions } from '../../src/cli/commands/completion-candidates.js';

const load = async (verb: string) => COMMANDS[verb]?.load();
const complete = (words: string[], apps: string[] = []) => completions({ words, apps, load });

describe('completion candidates come from the command table, the flags and the schema', () => {
  it('verbs and PM2 aliases', async () => {
    assert.deepEqual(await complete(['res']), ['reset', 'restart', 'restartall', 'resurrect']);
    assert.ok((await complete(['']))?.includes('startOrReload'));
  });
  it('every flag a command declares, config keys included', async () => {
    const flags = await complete(['start', '--']);
    for (const f of ['--max-memory-restart', '--kill-timeout', '--instances', '--no-autorestart', '--namespace', '--env-file'])
      assert.ok(flags.includes(f), f);
    assert.deepEqual(await complete(['logs', '--fo']), ['--follow']);
  });
  it('enum values and signals', async () => {
    assert.deepEqual(await complete(['start', 'a.js', '--log-type', '']), ['raw', 'json']);
    assert.ok((await complete(['signal', 'SIGU'])).includes('SIGUSR2'));
  });
  it('app names for targets, files when none matches', async () => {
    assert.deepEqual(await complete(['restart', 'we'], ['web', 'worker', 'default']), ['web']);
    assert.deepEqual(await complete(['restart', 'eco'], ['web']), [FILES]);
    assert.deepEqual(await complete(['describe', 'eco'], ['web']), []);
  });
});
