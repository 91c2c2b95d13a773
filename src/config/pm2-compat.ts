import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { TendError } from '../errors.js';
import { findExecutable } from '../lib/which.js';
import { isDirectory } from '../lib/ensure-dir.js';

/**
 * How PM2 reads an app, where tend follows it (checked against PM2 7's lib/Common.js, API.js and
 * tools/Config.js). Each rule is applied by normalize.ts only to apps started the PM2 way.
 */

/** PM2 accepts every key in camelCase too (`maxRestarts`, `errorFile`): its snake_case form. */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** PM2's interpreter by extension (lib/API/interpreter.json). */
const PM2_INTERPRETER_BY_EXT: Record<string, string> = {
  '.sh': 'bash',
  '.py': 'python',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.js': 'node',
  '.coffee': 'coffee',
  '.ls': 'lsc',
  '.ts': 'bun',
  '.tsx': 'bun',
};

/** tend's own guess (CLI and tend.config files), by extension. */
const TEND_INTERPRETER_BY_EXT: Record<string, string> = {
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.py': 'python3',
  '.sh': 'bash',
  '.rb': 'ruby',
  '.pl': 'perl',
  '.php': 'php',
};

/**
 * The interpreter when none is given. PM2's rule for its files: by extension (`.py` → `python`,
 * or `python3` when there is no `python`), else `none` for a binary file and `node` for anything
 * else (a folder, `bin/www`). tend's rule: by extension, else run the file directly.
 */
export function guessInterpreter(scriptPath: string, pm2: boolean, path: string | undefined): string {
  const ext = extname(scriptPath);
  if (!pm2) {
    if (TEND_INTERPRETER_BY_EXT[ext] !== undefined) return TEND_INTERPRETER_BY_EXT[ext];
    return isDirectory(scriptPath) ? 'node' : 'none';
  }
  const byExt = ext === '.mjs' || ext === '.cjs' ? 'node' : PM2_INTERPRETER_BY_EXT[ext];
  if (byExt === 'python') return findExecutable('python', path, '/') === undefined ? 'python3' : 'python';
  if (byExt !== undefined) return byExt;
  if (!existsSync(scriptPath)) return 'none';
  return isDirectory(scriptPath) || !isBinary(scriptPath) ? 'node' : 'none';
}

// A NUL byte in the first 512 bytes: how file(1)-like tools (and PM2) tell a binary from text.
function isBinary(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, 0);
    return buf.subarray(0, n).includes(0);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `node@18.20.4` (PM2 resolves it through nvm): the nvm-installed Node of that version, or an
 * error for this app only that says how to install it.
 */
export function resolveNodeVersion(interpreter: string, env: Record<string, string>, source: string): string {
  const version = interpreter.slice('node@'.length).replace(/^v/, '');
  const nvmDir = env.NVM_DIR ?? join(env.HOME ?? homedir(), '.nvm');
  const candidate = join(nvmDir, 'versions', 'node', `v${version}`, 'bin', 'node');
  if (existsSync(candidate)) return candidate;
  throw new TendError('E_INTERPRETER_NOT_FOUND', `${source}: interpreter \`${interpreter}\` was not found (looked for ${candidate})`, {
    hint: `Install it with \`nvm install ${version}\`, or set \`interpreter\` to the path of a node binary.`,
  });
}

/**
 * PM2 runs a command found in PATH that is a Node script (`npm`, `npx`, `ts-node`) as
 * `node <its path>` (so it can also run in cluster mode): that path, or undefined.
 */
export function nodeScriptInPath(command: string, path: string | undefined, cwd: string): string | undefined {
  if (command.includes('/')) return undefined;
  const found = findExecutable(command, path, cwd);
  if (found === undefined) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(found, 'r');
    const buf = Buffer.alloc(128);
    const first =
      buf
        .subarray(0, readSync(fd, buf, 0, 128, 0))
        .toString('utf8')
        .split('\n')[0] ?? '';
    return /^#!.*\bnode\b/.test(first) ? found : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `~/x.log` → the home folder, as PM2 expands log paths. */
export function expandHome(path: string, env: Record<string, string>): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  return join(env.HOME ?? homedir(), path.slice(1));
}

/**
 * PM2's split of a string `args` / `node_args` (lib/tools/Config.js): tokens are `key="v a l"`,
 * `key='v'`, `"quoted"`, `'quoted'` or runs of non-spaces, and a token wholly in quotes loses
 * them. Unlike a shell, `--name="a b"` keeps its quotes and `a\ b` is two tokens.
 */
export function pm2SplitArgs(value: string): string[] {
  const tokens = value.match(/[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g) ?? [];
  return tokens
    .map((t) => ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t))
    .filter((t) => t.trim() !== '');
}

/**
 * PM2's default for `merge_logs` (lib/Common.js): true, so no `-<id>` in log names, unless the app
 * is in cluster mode or sets a non-zero `instances` (`'max'` counts as 0 there, as in PM2).
 */
export function pm2MergeDefault(instances: unknown, execMode: unknown): boolean {
  if (/^cluster/.test(String(execMode ?? ''))) return false;
  const n = instances === 'max' ? 0 : typeof instances === 'string' ? Number.parseInt(instances, 10) || 0 : instances;
  return n === undefined || n === null || n === 0 || n === false;
}

/** PM2's "no file" names for out_file / error_file / log_file. */
export function isNullFile(path: string): boolean {
  return path === 'NULL' || path === '/dev/null';
}
