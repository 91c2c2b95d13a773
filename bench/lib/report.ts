import type { Metric, ScenarioResult } from './scenario.js';
import { ratio, type Stat } from './stats.js';

function num(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  if (Number.isInteger(x)) return String(x);
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

export function fmtStat(s: Stat | null | undefined): string {
  if (!s) return 'not measured';
  if (s.n === 1 || s.min === s.max) return `${num(s.median)}`;
  return `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}

function fmtRatio(r: number | null): string {
  return r === null ? '—' : `${num(r)}×`;
}

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  tend: string;
  pm2: string;
  ratio: string;
  baseline: string;
  tendVsBase: string;
  pm2VsBase: string;
  target: string;
}

function row(scenario: string, m: Metric): Row {
  const base = m.baseline?.stat;
  return {
    scenario,
    metric: m.metric,
    unit: m.unit,
    tend: fmtStat(m.tend),
    pm2: fmtStat(m.pm2),
    ratio: fmtRatio(ratio(m.tend, m.pm2)),
    baseline: m.baseline ? `${fmtStat(base)} (${m.baseline.label})` : '',
    tendVsBase: m.baseline ? fmtRatio(ratio(m.tend, base)) : '',
    pm2VsBase: m.baseline ? fmtRatio(ratio(m.pm2, base)) : '',
    target: [m.target ? `tend ${m.target}` : '', m.pm2Reference ? `PM2 was ${m.pm2Reference}` : ''].filter(Boolean).join('; '),
  };
}

export function rows(results: readonly ScenarioResult[]): Row[] {
  return results.flatMap((r) => r.metrics.map((m) => row(r.name, m)));
}

const HEADERS: Record<keyof Row, string> = {
  scenario: 'scenario',
  metric: 'metric',
  unit: 'unit',
  tend: 'tend median (min–max)',
  pm2: 'PM2 median (min–max)',
  ratio: 'tend/PM2',
  baseline: 'baseline',
  tendVsBase: 'tend/base',
  pm2VsBase: 'PM2/base',
  target: 'issue #5 target / PM2 reference',
};

export function markdownTable(results: readonly ScenarioResult[]): string {
  const keys = Object.keys(HEADERS) as (keyof Row)[];
  const lines = [`| ${keys.map((k) => HEADERS[k]).join(' | ')} |`, `|${keys.map(() => '---').join('|')}|`];
  for (const r of rows(results)) lines.push(`| ${keys.map((k) => r[k].replace(/\|/g, '\\|')).join(' | ')} |`);
  return lines.join('\n');
}

/** A plain-text table for the terminal (the target column left out to keep it narrow). */
export function textTable(results: readonly ScenarioResult[]): string {
  const keys = (Object.keys(HEADERS) as (keyof Row)[]).filter((k) => k !== 'target');
  const all = [HEADERS, ...rows(results)];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const fmt = (r: Row): string =>
    keys
      .map((k, i) => r[k].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [fmt(all[0] as Row), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of all.slice(1)) out.push(fmt(r));
  for (const result of results) {
    for (const [tool, why] of Object.entries(result.errors)) out.push(`! ${result.name} ${tool}: ${why}`);
    for (const note of result.notes) out.push(`* ${result.name}: ${note}`);
  }
  return out.join('\n');
}
