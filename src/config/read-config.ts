import { basename, extname, join } from 'node:path';
import { TendError } from '../errors.js';
import { formatBytes } from '../lib/bytes.js';
import { evaluateConfigCode, type ConfigCodeFailure } from './config-code.js';

export type ConfigFormat = 'js' | 'json' | 'yaml' | 'procfile';

/**
 * Which files are config files rather than scripts, following PM2's rule so `pm2 start x.json`
 * habits carry over: any `.json`, `.yaml`/`.yml`, `*.config.js/.cjs/.mjs`, and `Procfile` /
 * `Procfile.*` (foreman's `Procfile.dev` convention).
 */
export function configFormat(path: string): ConfigFormat | undefined {
  const name = basename(path);
  if (/^Procfile(\..+)?$/.test(name)) return 'procfile';
  const ext = extname(name).toLowerCase();
  if (ext === '.json' || ext === '.json5') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (/\.config\.(c|m)?js$/.test(name)) return 'js';
  return undefined;
}

/** Reads a JS, JSON or YAML config and returns what it exports (not yet checked for shape). */
export async function readConfigValue(file: string, format: Exclude<ConfigFormat, 'procfile'>, label = file): Promise<unknown> {
  if (format === 'js') return importConfig(file, label);
  const text = await readConfigText(file, label);
  if (format === 'json') return parseJsonLike(text, file, label);
  // Loaded lazily: YAML support should cost nothing to commands that never read YAML.
  const { parse } = await import('yaml');
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw configError(
      label,
      `is not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
      'Check the indentation around the line shown.',
      err,
    );
  }
}

/**
 * PM2 reads a `.json` file as a JavaScript expression, so real files have unquoted keys, single
 * quotes, comments and trailing commas, and some compute values (`process.env.X || 'dev'`,
 * `['a','b'].join('')`). Strict JSON takes the fast path; then JSON5, which accepts the object
 * syntax without running anything; only a file JSON5 cannot read is evaluated as an expression,
 * like a JS config (in a child process with a time limit).
 */
async function parseJsonLike(text: string, file: string, label: string): Promise<unknown> {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // not strict JSON: try the JavaScript-object syntax PM2 accepts
  }
  // Loaded lazily, like YAML: strict JSON files never pay for it.
  const { default: JSON5 } = await import('json5');
  let syntaxError: Error;
  try {
    return JSON5.parse(text) as unknown;
  } catch (err) {
    syntaxError = err as Error;
  }
  try {
    return await evaluateJsonExpression(text, file);
  } catch {
    throw configError(
      label,
      `is not valid JSON: ${syntaxError.message.split('\n')[0] ?? ''}`,
      'Check the brackets and quotes around the position shown, or use an ecosystem.config.js.',
      syntaxError,
    );
  }
}

// The file's text as `module.exports = (…)` in a private temporary file, evaluated as a JS config.
async function evaluateJsonExpression(text: string, file: string): Promise<unknown> {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tend-json-'));
  try {
    const code = join(dir, `${basename(file)}.cjs`);
    await writeFile(code, `module.exports = (\n${text}\n);\n`, { mode: 0o600 });
    return await evaluateConfigCode(code);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The largest config file read: a 5,000-app file is 0.2 MB; past this it is most likely data. */
const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

/**
 * The file's text; a missing file is a config error (naming `label`), not a crash. Only a regular
 * file of at most MAX_CONFIG_BYTES is read: a FIFO would block forever, /dev/zero never end, and
 * a 2 GB `data.json` started by mistake would fill the CLI's memory.
 */
export async function readConfigText(file: string, label = file): Promise<string> {
  const fs = await import('node:fs/promises');
  try {
    const st = await fs.stat(file);
    if (!st.isFile() && !st.isDirectory())
      throw configError(label, 'is not a regular file', 'Name the config file itself, e.g. `tend start ./ecosystem.config.js`.');
    if (st.size > MAX_CONFIG_BYTES)
      throw configError(
        label,
        `is ${formatBytes(st.size)}, more than a config file's ${formatBytes(MAX_CONFIG_BYTES)}`,
        'Is it a config file? Name the ecosystem file, tend.config.* or Procfile to start.',
      );
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof TendError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw configError(label, 'does not exist', 'Check the path (relative paths are resolved from the current directory).', err);
    if (code === 'EISDIR')
      throw configError(label, 'is a directory', 'Name the config file itself, e.g. `tend start ./ecosystem.config.js`.', err);
    throw configError(label, `cannot be read: ${(err as Error).message}`, undefined, err);
  }
}

/** A JS config runs in a child process with a time limit: see config-code.ts. */
async function importConfig(file: string, label: string): Promise<unknown> {
  await readConfigText(file, label); // a clear "does not exist" before any loader message
  try {
    return await evaluateConfigCode(file);
  } catch (err) {
    if (err instanceof TendError) throw err;
    const { what, hint, thrown } = err as ConfigCodeFailure;
    throw configError(label, what, hint ?? (thrown === undefined ? undefined : loadHint(thrown, label)));
  }
}

// The two module-system mix-ups PM2 users meet when a project turns ESM, and what to do.
function loadHint(message: string, label: string): string {
  // The file's own name with the other extension: `api.config.mjs` → `api.config.cjs`.
  const renamed = (ext: string): string => basename(label).replace(/\.(c|m)?js$/, ext);
  if (/(module|exports|require) is not defined in ES module scope/.test(message)) {
    const why = label.endsWith('.mjs') ? 'its name ends in .mjs' : 'package.json has "type": "module"';
    return `This file is an ES module (${why}): write \`export default { apps: [...] }\`, or rename it to ${renamed('.cjs')}.`;
  }
  if (/Unexpected token 'export'|Cannot use import statement outside a module/.test(message)) {
    const where = label.endsWith('.cjs') ? 'a .cjs file' : 'a CommonJS package';
    return `This file uses ES module syntax in ${where}: rename it to ${renamed('.mjs')}, or use \`module.exports = { apps: [...] }\`.`;
  }
  return `The error comes from the config file itself; \`node ${label}\` shows it with its stack.`;
}

/** A config error that names the file. */
export function configError(file: string, what: string, hint?: string, cause?: unknown): TendError {
  return new TendError('E_CONFIG_INVALID', `${file} ${what}`, { hint, details: { file }, cause });
}
