import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigMarkdown } from '../../src/config/help.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README stays true', () => {
  it('contains the config table generated from the schema', () => {
    assert.ok(readme.includes(renderConfigMarkdown().trim()), 'README.md is out of date: paste renderConfigMarkdown() (src/config/help.ts) into "Every setting"');
  });

  it('has the two set-up commands that CI and newcomers run', () => {
    assert.ok(readme.includes('npm ci && ./bin/tend start examples/server.js'));
    assert.ok(readme.includes('bash scripts/test.sh'));
    assert.match(readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8'), /scripts\/test\.sh/);
  });
});
