// Entry of the short-lived process that evaluates a JS config file (see config-code.ts for why it
// is a process of its own). Usage: node config-code-child.js <absolute file>. It writes exactly
// one JSON line to fd 3 and exits at once, so whatever timers or sockets the config left open
// never keep anyone waiting.
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the child reports on fd 3. */
export type ConfigCodeReply =
  | { ok: true; value: unknown }
  | { ok: false; kind: 'threw'; message: string }
  | { ok: false; kind: 'never-settles' }
  | { ok: false; kind: 'not-json'; message: string }
  | { ok: false; kind: 'function' };

const RESULT_FD = 3;
let replied = false;

function reply(message: ConfigCodeReply): never {
  replied = true;
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(RESULT_FD, bytes, offset, bytes.length - offset);
    } catch (err) {
      // A non-blocking pipe that is full: the parent is reading, try again.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') process.exit(70);
    }
  }
  process.exit(0);
}

// Node's own rule for `.js`: the `type` of the nearest package.json.
function nearestPackageType(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { type?: unknown };
      return typeof pkg.type === 'string' ? pkg.type : undefined;
    } catch {
      // no (readable) package.json here: look in the parent, as Node does
    }
    if (dirname(d) === d) return undefined;
  }
}

function isModuleNamespace(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module';
}

/**
 * A CommonJS config (`module.exports = …`, what PM2 users have) is required; an ES module (`.mjs`,
 * or `.js` in a `"type": "module"` package) is imported. An ES module's default export is the
 * config; a CommonJS module.exports is the config itself; a promise is awaited.
 */
async function loadConfigModule(file: string): Promise<unknown> {
  let value: unknown;
  let required = false;
  if (file.endsWith('.cjs') || (file.endsWith('.js') && nearestPackageType(dirname(file)) !== 'module')) {
    try {
      value = createRequire(file)(file);
      required = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    }
  }
  if (!required) value = await import(pathToFileURL(file).href);
  if (isModuleNamespace(value)) value = 'default' in value ? value.default : Object.keys(value).length > 0 ? { ...value } : undefined;
  return await value;
}

// The config crosses to the CLI as JSON, as PM2's does to its daemon: functions and undefined
// drop out. A value JSON cannot carry at all (a BigInt, a cycle) is refused by name.
function toJson(value: unknown): ConfigCodeReply {
  if (typeof value === 'function') return { ok: false, kind: 'function' };
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(value ?? null)) as unknown };
  } catch (err) {
    return { ok: false, kind: 'not-json', message: (err as Error).message };
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const file = process.argv[2];
if (file === undefined) process.exit(64);
// The loop emptied while the export was still pending: nothing can ever settle it.
process.on('beforeExit', () => {
  if (!replied) reply({ ok: false, kind: 'never-settles' });
});
process.on('uncaughtException', (err) => reply({ ok: false, kind: 'threw', message: errorMessage(err) }));
loadConfigModule(file).then(
  (value) => reply(toJson(value)),
  (err: unknown) => reply({ ok: false, kind: 'threw', message: errorMessage(err) }),
);
