import { invalidValue } from '../errors.js';

const UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parses a size the same way everywhere: `1048576`, `512K`, `10M`, `1.5G` (binary units, an
 * optional trailing `B`, case-insensitive). Negative or non-numeric values throw.
 */
export function parseBytes(value: unknown, field = 'size'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    throw invalidValue(field, 'a size like `200M`, `512K` or `1048576`', value);
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
    if (m?.[1] !== undefined) {
      const unit = (m[2] ?? '').toLowerCase() || 'b';
      return Math.round(Number(m[1]) * (UNIT[unit] ?? 1));
    }
  }
  throw invalidValue(field, 'a size like `200M`, `512K` or `1048576`', value);
}

/** Human form for tables: 512B, 1.5KB, 42.0MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)}${units[i]}`;
}
