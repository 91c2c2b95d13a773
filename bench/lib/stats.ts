/** Summary of a set of samples: median with min and max. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
  samples: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  if (sorted.length % 2 === 1) return hi;
  return ((sorted[mid - 1] as number) + hi) / 2;
}

export function stat(values: readonly number[]): Stat | null {
  if (values.length === 0) return null;
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
    samples: [...values],
  };
}

/** Ratio of two medians, or null when either is missing or the denominator is zero. */
export function ratio(a: Stat | null | undefined, b: Stat | null | undefined): number | null {
  if (!a || !b || b.median === 0 || !Number.isFinite(a.median) || !Number.isFinite(b.median)) return null;
  return a.median / b.median;
}
