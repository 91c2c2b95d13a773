import { APP_FIELDS, fieldStatus, type FieldDef, type FieldStatus } from './schema.js';

/** Section titles of `tend help config`, in the order they are shown. */
const SECTIONS: readonly { status: FieldStatus; title: string }[] = [
  { status: 'supported', title: 'PM2 keys tend supports' },
  { status: 'tend', title: "tend's own keys" },
  { status: 'not-yet', title: 'Accepted, no effect yet (a warning says so)' },
  { status: 'ignored', title: 'Ignored on purpose (a warning says why)' },
];

const STATUS_LABEL: Record<FieldStatus, string> = { supported: 'supported', tend: 'tend only', 'not-yet': 'not yet', ignored: 'ignored' };

const INTRO = [
  'App keys of ecosystem files (ecosystem.config.js/.cjs/.mjs/.json/.yaml, tend.config.*),',
  'the same names PM2 uses. As `tend start` flags they are kebab-case (--max-restarts).',
  'Durations: milliseconds (1500) or with a unit (1.5s, 2m, 1h). Sizes: bytes or 512K, 200M, 1G.',
  "Relative paths resolve from the config file's folder; `--env <name>` layers env_<name> over env.",
];

/** The type as docs show it: `duration`, `list`, `raw|json`. */
export function typeLabel(field: FieldDef): string {
  switch (field.type) {
    case 'string-list':
      return 'list';
    case 'integer-list':
      return 'integer list';
    case 'env':
      return 'object';
    case 'enum':
      return (field.values ?? []).join('|');
    case 'instances':
      return 'integer|max';
    case 'watch':
      return 'boolean|list';
    case 'any':
      return 'any';
    case 'health':
      return 'object|string';
    case 'depends':
      return 'list|object';
    case 'hooks':
      return 'object';
    default:
      return field.type;
  }
}

/** The default as docs show it: sizes in M, empty for none. */
export function defaultLabel(field: FieldDef): string {
  const value = field.default;
  if (value === undefined) return '';
  if (field.type === 'size' && typeof value === 'number' && value % (1024 * 1024) === 0) return `${value / (1024 * 1024)}M`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Description plus what tend does with the key when it is not simply supported. */
export function fieldNote(field: FieldDef): string {
  if (field.ignored !== undefined) return `${field.description} Ignored: ${field.ignored}.`;
  if (field.unsupported !== undefined) return `${field.description} Not supported yet: ${field.unsupported}.`;
  return field.description;
}

/** `tend help config`: every key, grouped by what tend does with it, wrapped to `width`. */
export function renderConfigHelp(options: { width?: number } = {}): string {
  const width = Math.max(60, options.width ?? 80);
  const keyWidth = Math.max(...APP_FIELDS.map((f) => f.key.length)) + 2;
  const out: string[] = [...INTRO, ''];
  for (const { status, title } of SECTIONS) {
    const fields = APP_FIELDS.filter((f) => fieldStatus(f) === status);
    if (fields.length === 0) continue;
    out.push(`${title}:`, '');
    for (const f of fields) {
      const dflt = defaultLabel(f);
      const shownDefault = typeof f.default === 'string' ? `'${dflt}'` : dflt;
      const facts = [
        typeLabel(f),
        dflt === '' ? '' : `default ${shownDefault}${f.unit !== undefined && f.type === 'duration' ? ` ${f.unit}` : ''}`,
      ]
        .filter(Boolean)
        .join(', ');
      const aliases = (f.aliases ?? []).length > 0 ? `  (also ${(f.aliases ?? []).join(', ')})` : '';
      out.push(`  ${f.key.padEnd(keyWidth)}${facts}${aliases}`);
      for (const line of wrap(fieldNote(f), width - 6)) out.push(`      ${line}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The README table: one row per key, same source as `tend help config`. */
export function renderConfigMarkdown(): string {
  const rows = ['| Key | Type | Default | Unit | Aliases | Status | Description |', '|---|---|---|---|---|---|---|'];
  for (const f of APP_FIELDS) {
    const cells = [
      `\`${f.key}\``,
      typeLabel(f),
      defaultLabel(f) === '' ? '' : `\`${defaultLabel(f)}\``,
      f.unit ?? '',
      (f.aliases ?? []).map((a) => `\`${a}\``).join(', '),
      STATUS_LABEL[fieldStatus(f)],
      fieldNote(f),
    ];
    rows.push(`| ${cells.map(escapeCell).join(' | ')} |`);
  }
  return rows.join('\n') + '\n';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
