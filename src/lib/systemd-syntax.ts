/**
 * The quoting rules of systemd unit files (systemd.syntax(7), systemd.service(5),
 * systemd.exec(5)), one function per kind of setting, because each kind is parsed differently:
 * - every setting value goes through specifier expansion, so a literal `%` must be `%%`;
 * - command lines (ExecStart=…) are split into words (double quotes group, C escapes apply) and
 *   then `$VAR`/`${VAR}` are substituted, so a literal `$` must be `$$`;
 * - Environment= assignments are split and unescaped the same way, but never `$`-expanded;
 * - EnvironmentFile= files are not unit files at all: no specifiers, shell-like quoting.
 */

/** One section of a unit: [name, lines]; a line starting with `#` is a comment. */
export type UnitSection = [name: string, lines: string[]];

export function renderUnit(header: string[], sections: UnitSection[]): string {
  const out = header.map((l) => `# ${l}`.trimEnd());
  for (const [name, lines] of sections) {
    if (out.length > 0) out.push('');
    out.push(`[${name}]`, ...lines);
  }
  return `${out.join('\n')}\n`;
}

/** A literal value (Description=, WorkingDirectory=, User=): only specifiers are special. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

/** C-style escapes for a double-quoted word; `\`, `"` and control characters. */
function cEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

const PLAIN_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One argument of a command line (ExecStart=). */
export function quoteExecWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `"${escapeSpecifiers(cEscape(word)).replace(/\$/g, '$$$$')}"`;
}

/** A whole command line; the program must be an absolute path (systemd substitutes no variable there). */
export function execLine(argv: string[]): string {
  const [file] = argv;
  if (file === undefined || !file.startsWith('/'))
    throw new Error(`a unit's command must start with an absolute path, got ${JSON.stringify(file)}`);
  return argv.map(quoteExecWord).join(' ');
}

/** Names systemd accepts in Environment= (it ignores, with a warning, anything else). */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** One Environment= line holding one assignment, always quoted (values may hold spaces). */
export function environmentLine(name: string, value: string): string {
  return `Environment="${escapeSpecifiers(cEscape(`${name}=${value}`))}"`;
}

/**
 * One line of an EnvironmentFile=. Inside double quotes systemd's env-file parser unescapes
 * only `\"`, `\\`, `` \` `` and `\$` and keeps newlines literally, like a shell would.
 */
export function environmentFileLine(name: string, value: string): string {
  return `${name}="${value.replace(/["\\`$]/g, (c) => `\\${c}`)}"`;
}

/**
 * A unit name for an app: systemd allows letters, digits and `:_.-` (and `\` escapes, which
 * nobody wants to type); anything else becomes `_`.
 */
export function unitNameFor(app: string, suffix = '.service'): string {
  const base = app.replace(/[^A-Za-z0-9:_.-]/g, '_').replace(/^\.+/, '_');
  return `${base.slice(0, 255 - suffix.length)}${suffix}`;
}

/** Milliseconds as a systemd time span ("1500ms", "2s", "0"). */
export function timeSpan(ms: number): string {
  if (ms <= 0) return '0';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}
