import { defaultLabel } from '../config/help.js';
import { APP_FIELDS, type FieldDef } from '../config/schema.js';

/**
 * The option lines of `tend start --help` and `tend run --help`, made from the schema: every app
 * setting that is a flag, its value's shape, the first sentence of its description and its
 * default. Nothing here is written by hand, so help cannot drift from what the flags do.
 */

/** App settings usable as flags of `tend start` / `tend run`. */
export const FIELD_FLAGS: readonly FieldDef[] = APP_FIELDS.filter((f) => f.cli === true);

/** The flag of a schema key: `kill_timeout` → `kill-timeout`. */
export const flagName = (key: string): string => key.replace(/_/g, '-');

/** What a flag's value looks like in help: `D` for a duration, `SIZE`, `K=V`, `a|b`. */
export function valueLabel(field: FieldDef): string {
  switch (field.type) {
    case 'boolean':
      return '';
    case 'integer':
    case 'instances':
      return 'N';
    case 'duration':
      return 'D';
    case 'size':
      return 'SIZE';
    case 'signal':
      return 'SIG';
    case 'string-list':
    case 'integer-list':
      return 'LIST';
    case 'env':
      return 'K=V';
    case 'enum':
      return (field.values ?? []).filter((v) => !v.endsWith('_mode')).join('|');
    case 'watch':
      return '[DIR]';
    case 'cron':
      return 'CRON';
    case 'health':
      return 'CHECK';
    default:
      return (field.key.split('_').pop() ?? field.key).toUpperCase();
  }
}

/** The default as help shows it: `5s` for 5000 ms, `10M`, nothing for none. */
export function helpDefault(field: FieldDef): string {
  if (field.type === 'duration' && typeof field.default === 'number')
    return field.default === 0 ? '0 (off)' : field.default % 1000 === 0 ? `${field.default / 1000}s` : `${field.default}ms`;
  if (field.type === 'boolean') return field.default === true ? 'on' : '';
  if (field.type === 'env' || field.type === 'watch' || (Array.isArray(field.default) && field.default.length === 0)) return '';
  return defaultLabel(field);
}

/** The first sentence of a description (help lines are short; `tend help config` has the rest). */
function firstSentence(text: string): string {
  const m = /^(.*?(?<!\be\.g|\bi\.e)[.!?])(\s|$)/.exec(text);
  return (m?.[1] ?? text).replace(/\.$/, '');
}

/** One option row per schema flag; `--[no-]X` for booleans (`--no-X` overrides a config file). */
export function schemaFlagRows(aliases: Readonly<Record<string, string>> = {}): { head: string; text: string }[] {
  return FIELD_FLAGS.map((f) => {
    const short = Object.entries(aliases).find(([, key]) => key === f.key)?.[0];
    const flag = f.type === 'boolean' ? `--[no-]${flagName(f.key)}` : `--${flagName(f.key)}`;
    const value = valueLabel(f);
    const def = helpDefault(f);
    const head = `${short === undefined ? '' : `-${short}, `}${flag}${value === '' ? '' : ` ${value}`}`;
    return { head, text: `${firstSentence(f.description)}${def === '' ? '' : ` (default ${def})`}` };
  });
}

/** `  --head   text` rows, the text column aligned and wrapped to `width`. */
export function optionLines(rows: readonly { head: string; text: string }[], width = 100): string[] {
  const col = Math.min(30, Math.max(...rows.map((r) => r.head.length)) + 4);
  const out: string[] = [];
  for (const { head, text } of rows) {
    const words = text.split(' ');
    let line = `  ${head}`.padEnd(col);
    if (`  ${head}`.length + 2 > col) {
      out.push(`  ${head}`);
      line = ''.padEnd(col);
    }
    let first = true;
    for (const w of words) {
      if (!first && line.length + 1 + w.length > width) {
        out.push(line);
        line = `${''.padEnd(col)}${w}`;
      } else line = first ? `${line}${w}` : `${line} ${w}`;
      first = false;
    }
    out.push(line);
  }
  return out;
}
