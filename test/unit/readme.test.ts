import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigMarkdown } from '../../src/config/help.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const configuration = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

describe('README stays true', () => {
  it('docs/configuration.md contains the config table generated from the schema', () => {
    assert.ok(
      configuration.includes(renderConfigMarkdown().trim()),
      'docs/configuration.md is out of date: paste renderConfigMarkdown() (src/config/help.ts) into "Every setting"',
    );
  });

  it('stays a first page: under 300 lines, Linux and both ways to install on its first screen', () => {
    assert.ok(readme.split('\n').length < 300, `README.md has ${readme.split('\n').length} lines: move detail into docs/`);
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    assert.match(firstScreen, /Linux/);
    assert.match(firstScreen, /npm install -g/);
    assert.match(firstScreen, /npm ci && \.\/bin\/tend start examples\/server\.js/);
  });

  it('has the two set-up commands that CI and newcomers run', () => {
    assert.ok(readme.includes('npm ci && ./bin/tend start examples/server.js'));
    assert.ok(readme.includes('bash scripts/test.sh'));
    assert.match(readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8'), /scripts\/test\.sh/);
  });
});
