import { readFileSync } from 'node:fs';
import { TendError } from '../errors.js';

export interface DotenvResult {
  env: Record<string, string>;
  /** Lines that were not `KEY=VALUE`, reported rather than silently dropped. */
  warnings: string[];
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/s;
const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/**
 * Parses a `.env` file the way dotenv and foreman read them:
 * - `KEY=VALUE`, optional `export ` prefix, spaces around `=` allowed, `#` comment lines;
 * - unquoted values are trimmed and end at ` #` (an inline comment);
 * - `'single'` and `` `backtick` `` quotes are literal; `"double"` quotes understand `\n`, `\t`,
 *   `\r`, `\"`, `\\`; any quoted value may span lines.
 * No `${VAR}` expansion: a value means what it says. A later assignment wins.
 * `where` (a file name) prefixes messages.
 */
export function parseDotenv(text: string, where: string): DotenvResult {
  const env: Record<string, string> = {};
  const warnings: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = ASSIGNMENT.exec(line);
    if (m === null) {
      warnings.push(`${where}:${lineNo}: not a KEY=VALUE line, ignored`);
      continue;
    }
    const key = m[1] as string;
    let rest = m[2] as string;
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value may continue on the next lines until its closing quote.
      let body = rest.slice(1);
      let close = findClosingQuote(body, quote);
      while (close < 0 && i + 1 < lines.length) {
        body += '\n' + (lines[++i] as string);
        close = findClosingQuote(body, quote);
      }
      if (close < 0) {
        throw new TendError('E_CONFIG_INVALID', `${where}:${lineNo}: the value of \`${key}\` opens a ${quote} quote that is never closed`, {
          hint: `Close the quote, or escape it (\\${quote}) inside double quotes.`,
          details: { file: where, line: lineNo, key },
        });
      }
      const raw = body.slice(0, close);
      const after = body.slice(close + 1);
      if (!/^\s*(#.*)?$/.test(after)) warnings.push(`${where}:${lineNo}: text after the closing quote of \`${key}\` ignored`);
      env[key] = quote === '"' ? unescapeDouble(raw) : raw;
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash);
    env[key] = rest.trim();
  }
  return { env, warnings };
}

/** Reads and parses a `.env` file; a missing or unreadable file is a config error. */
export function loadDotenv(path: string, source: string): DotenvResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new TendError('E_CONFIG_INVALID', `${source}: \`env_file\` ${path} ${reason}`, {
      hint: "`env_file` is resolved from the app's `cwd`.",
      details: { field: 'env_file', path },
      cause: err,
    });
  }
  return parseDotenv(text, path);
}

function findClosingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') {
      i++;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\(.)/gs, (whole, ch: string) => DOUBLE_ESCAPES[ch] ?? whole);
}
