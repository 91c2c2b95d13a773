import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALIASES, COMMANDS, REWRITES } from '../../src/cli/command-table.js';
import { parseFlags, splitAtDashDash } from '../../src/cli/context.js';
import { shortInstances, watchFlagValues } from '../../src/cli/commands/start.js';
import { splitArgs } from '../../src/lib/split-args.js';
import { ROOT } from '../helpers/tend.js';

/** README.md and every page of docs/. */
function docFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(docs, f))
    : [];
  return [join(ROOT, 'README.md'), ...pages];
}

/** `tend …` command lines of the shell blocks of a Markdown file, with their line numbers. */
export function tendCommands(markdown: string): { line: number; argv: string[] }[] {
  const out: { line: number; argv: string[] }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const f = /^\s*```(\w*)/.exec(text);
    if (f !== null) {
      fence = fence === null ? (f[1] ?? '') : null;
      return;
    }
    if (fence === null || !['sh', 'bash', 'shell', ''].includes(fence)) return;
    // Each command of the line: `a && tend b | jq`, `$ tend x`, `./bin/tend y  # comment`.
    const code = text.replace(/(^|\s)#(?![{!]).*$/, '').replace(/^\s*\$\s+/, '');
    for (const part of code.split(/&&|\|\||;|\|/)) {
      const m = /^\s*(?:\S+=\S+\s+)*(?:sudo\s+(?:-\S+\s+)*)?(?:\.\/bin\/tend|\S*\/bin\/tend|tend)\s+(.*)$/.exec(part);
      if (m === null) continue;
      let argv: string[];
      try {
        argv = splitArgs((m[1] ?? '').replace(/\$\(.*?\)|`[^`]*`/g, 'X').trim());
      } catch {
        continue;
      }
      if (argv.length > 0) out.push({ line: i + 1, argv });
    }
  });
  return out;
}

/**
 * Every `tend` command shown in the docs goes through the CLI's own parser: the verb exists and
 * every flag it shows is one the command accepts, with a value where it takes one.
 */
describe('every tend command in the docs parses', () => {
  for (const file of docFiles()) {
    it(file.slice(ROOT.length), async () => {
      const bad: string[] = [];
      for (const { line, argv } of tendCommands(readFileSync(file, 'utf8'))) {
        const [first, ...rest0] = argv as [string, ...string[]];
        if (first.startsWith('-') || first === 'help') continue;
        const rewrite = REWRITES[first];
        const [verb, ...rest] =
          rewrite !== undefined ? ([...rewrite, ...rest0] as [string, ...string[]]) : [ALIASES[first] ?? first, ...rest0];
        const entry = COMMANDS[verb];
        if (entry === undefined) {
          bad.push(`${line}: unknown command \`${first}\``);
          continue;
        }
        const command = await entry.load();
        if (rest.includes('--help') || rest.includes('-h')) continue;
        const { own } = splitAtDashDash(rest);
        const args =
          verb === 'start' || verb === 'run'
            ? watchFlagValues(shortInstances(own))
            : verb === 'scale'
              ? own.filter((a) => !/^[+-]\d+$/.test(a))
              : own;
        try {
          parseFlags(args, command.options ?? {}, verb);
        } catch (err) {
          bad.push(`${line}: tend ${argv.join(' ')}: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(bad, [], `${file}:\n${bad.join('\n')}`);
    });
  }
});
