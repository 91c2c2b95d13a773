import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/tend.js';

/**
 * The floors of src/'s rooms (a folder, or a file directly under src/): a room may import only
 * rooms on a lower floor. Two rooms on one floor know nothing of each other. A new room gets its
 * floor here; moving a room up or down is a design decision, made in this table.
 */
export const FLOORS: Record<string, number> = {
  protocol: 0,
  spawner: 0,
  version: 0,
  procfs: 0,
  'extra-ca': 0,
  errors: 1,
  health: 1,
  hooks: 1,
  metrics: 1,
  watch: 1,
  lib: 2,
  rpc: 2,
  config: 3,
  limits: 3,
  logs: 3,
  store: 3,
  tui: 3,
  pty: 3,
  supervisor: 4,
  exporters: 4,
  boot: 4,
  web: 4,
  client: 4,
  holder: 5,
  foreground: 5,
  daemon: 6,
  cli: 7,
  api: 8,
};

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

function roomOf(path: string): string {
  const [first, ...rest] = relative(SRC, path).split('/');
  return rest.length === 0 ? (first as string).replace(/\.[cm]?[jt]s$/, '') : (first as string);
}

/** Every relative module specifier a file names: static imports, re-exports and import(). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) found.push(m[1] as string);
  return found;
}

/** Each circle of the graph once (its files in import order, back to the first), by depth-first search. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (f: string): void => {
    const at = path.indexOf(f);
    if (at >= 0) {
      found.push([...path.slice(at), f]);
      return;
    }
    if (done.has(f)) return;
    path.push(f);
    for (const t of graph.get(f) ?? []) visit(t);
    path.pop();
    done.add(f);
  };
  for (const f of graph.keys()) visit(f);
  return found;
}

describe('rules a machine checks', () => {
  const files = sources(SRC);

  it('every room of src/ has a floor', () => {
    const rooms = new Set(files.map(roomOf));
    assert.deepEqual([...rooms].filter((r) => FLOORS[r] === undefined).sort(), []);
  });

  it('no room imports a room on its own floor or above', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC + '/')) continue;
        const to = roomOf(target);
        if (to !== from && (FLOORS[to] ?? Infinity) >= (FLOORS[from] ?? -Infinity)) {
          upward.push(`${relative(ROOT, file)} (${from}, floor ${FLOORS[from]}) imports ${spec} (${to}, floor ${FLOORS[to]})`);
        }
      }
    }
    assert.deepEqual(upward, []);
  });

  it('no file imports itself through others (no circle, type-only imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const targets = importsOf(readFileSync(file, 'utf8')).map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      graph.set(
        file,
        targets.filter((t) => existsSync(t)),
      );
    }
    assert.deepEqual(
      circles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' -> ')),
      [],
    );
  });

  it("the supervisor's process handle stays inside src/supervisor/ (others get an AppView)", () => {
    const outside = files.filter(
      (f) => roomOf(f) !== 'supervisor' && importsOf(readFileSync(f, 'utf8')).some((s) => s.endsWith('/process-handle.js')),
    );
    assert.deepEqual(
      outside.map((f) => relative(ROOT, f)),
      [],
    );
  });

  it('tests skip only through test/helpers/needs.ts, which fails them under CI=true', () => {
    // pm2-corpus: an optional corpus of real users' files (TEND_PM2_CORPUS), not a tool to install.
    const allowed = new Set(['test/helpers/needs.ts', 'test/unit/pm2-corpus.test.ts']);
    const tests = join(ROOT, 'test');
    const skipping = sources(tests)
      .filter((f) => f.endsWith('.ts') && !allowed.has(relative(ROOT, f)))
      .filter((f) => /\{\s*skip\b|\bt\.skip\(|\.skip\(['"`]/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(
      skipping.map((f) => relative(ROOT, f)),
      [],
    );
  });

  it('the check sees imports in each form', () => {
    const text =
      "import a from './a.js';\nimport type { B } from '../b/b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');\nimport './e.js';\n";
    assert.deepEqual(importsOf(text), ['./a.js', '../b/b.js', './c.js', './d.js', './e.js']);
  });
});
