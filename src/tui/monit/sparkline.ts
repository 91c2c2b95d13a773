const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as block characters, scaled from 0 to max(values, floor). */
export function sparkline(values: readonly number[], width: number, floor = 1): string {
  const tail = values.slice(-width);
  const max = Math.max(floor, ...tail);
  const bars = tail.map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / max) * (BARS.length - 1))))] ?? ' ');
  return bars.join('').padStart(width, ' ');
}
