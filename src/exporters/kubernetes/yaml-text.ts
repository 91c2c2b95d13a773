/**
 * YAML for exported manifests that every consumer reads back as the same data: YAML 1.2 parsers
 * (kubectl, the `yaml` package) and YAML 1.1 ones (PyYAML/libyaml in podman-compose and
 * docker-compose v1). A general-purpose emitter writes `80:80` plain (an integer, 4880, in YAML
 * 1.1), a TAB or U+2028 raw (which libyaml rejects or folds into a line break) and DEL raw (not a
 * printable character). Here every string is double-quoted with every character outside YAML's
 * printable set, and every line break, escaped; keys are plain only when no reader can take them
 * for something else.
 */

type Value = string | number | boolean | null | undefined | Value[] | { [k: string]: Value };

/** Printable for JSON but not for YAML (C1 controls, DEL, BOM, noncharacters) or a line break in YAML 1.1 (NEL, LS, PS). */
const YAML_ESCAPE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A double-quoted scalar: JSON's escapes (a subset of YAML's) plus `\uXXXX` for what JSON leaves raw. */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(YAML_ESCAPE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Words YAML 1.1 resolves to booleans or null. */
const RESERVED = /^(y|yes|n|no|true|false|on|off|null)$/i;

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(k) && !RESERVED.test(k) ? k : quoted(k);
}

function scalar(v: Exclude<Value, Value[] | { [k: string]: Value }>): string {
  if (typeof v === 'string') return quoted(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in a manifest`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return 'null';
}

function isBlock(v: Value): v is Value[] | { [k: string]: Value } {
  if (Array.isArray(v)) return v.length > 0;
  return typeof v === 'object' && v !== null && Object.values(v).some((x) => x !== undefined);
}

function lines(v: Value, indent: string): string[] {
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v) {
      if (!isBlock(item)) out.push(`${indent}- ${inline(item)}`);
      else {
        const inner = lines(item, `${indent}  `);
        out.push(`${indent}- ${(inner[0] as string).slice(indent.length + 2)}`, ...inner.slice(1));
      }
    }
    return out;
  }
  const out: string[] = [];
  for (const [k, item] of Object.entries(v as { [k: string]: Value })) {
    if (item === undefined) continue;
    if (isBlock(item)) out.push(`${indent}${key(k)}:`, ...lines(item, `${indent}  `));
    else out.push(`${indent}${key(k)}: ${inline(item)}`);
  }
  return out;
}

function inline(v: Value): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}

/** One YAML document for plain data (objects, arrays, strings, finite numbers, booleans, null). */
export function toYaml(doc: unknown): string {
  const v = doc as Value;
  return isBlock(v) ? `${lines(v, '').join('\n')}\n` : `${inline(v)}\n`;
}
