import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/tend.js';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces made dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

function pages(): string[] {
  const docs = join(ROOT, 'docs');
  return [
    join(ROOT, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f)),
    join(ROOT, 'BENCHMARKS.md'),
  ];
}

/** Headings outside code fences. */
function anchors(file: string): Set<string> {
  let fenced = false;
  const out = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const h = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (h?.[1] !== undefined) out.add(slug(h[1]));
  }
  return out;
}

describe('links between the README and docs/ pages resolve', () => {
  for (const file of pages()) {
    it(relative(ROOT, file), () => {
      const broken: string[] = [];
      for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] as string;
        if (/^[a-z]+:/.test(link)) continue;
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? file : resolve(dirname(file), path);
        if (!existsSync(target)) broken.push(`${link}: no file ${relative(ROOT, target)}`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchors(target).has(anchor))
          broken.push(`${link}: no heading #${anchor} in ${relative(ROOT, target)}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
