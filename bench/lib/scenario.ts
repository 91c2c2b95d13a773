import type { Tool, ToolName } from './session.js';
import { stat, type Stat } from './stats.js';
import { msSince, now } from './timing.js';

export type Who = ToolName | 'baseline';

export interface Metric {
  metric: string;
  unit: string;
  tend: Stat | null;
  pm2: Stat | null;
  /** The reference the tools are compared with (node -e 0, a direct redirect…), when there is one. */
  baseline?: { label: string; stat: Stat | null };
  /** tend's target from issue 5, and what was measured for PM2 there. */
  target?: string;
  pm2Reference?: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  metrics: Metric[];
  errors: Partial<Record<ToolName, string>>;
  notes: string[];
  durationMs: number;
}

export interface Context {
  rounds: number;
  /** Tools that passed their check, in a fixed order; rounds alternate which goes first. */
  tools: Tool[];
  /** Why a tool is unavailable, for tools that failed their check. */
  unavailable: Partial<Record<ToolName, string>>;
  log(message: string): void;
}

export interface MetricDef {
  metric: string;
  unit: string;
  baselineLabel?: string;
  target?: string;
  pm2Reference?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** Rounds to run when --rounds is not given (null: the context's default). */
  defaultRounds?: number;
  metrics: readonly MetricDef[];
  run(ctx: Context, rec: Recorder): Promise<void>;
}

/** Collects samples per metric and per tool/baseline, and errors per tool. */
export class Recorder {
  private readonly samples = new Map<string, number[]>();
  readonly errors: Partial<Record<ToolName, string>> = {};
  readonly notes: string[] = [];

  add(metric: string, who: Who, value: number): void {
    const key = `${metric}\u0000${who}`;
    const list = this.samples.get(key) ?? [];
    list.push(value);
    this.samples.set(key, list);
  }

  get(metric: string, who: Who): number[] {
    return this.samples.get(`${metric}\u0000${who}`) ?? [];
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  metrics(defs: readonly MetricDef[]): Metric[] {
    return defs.map((d) => {
      const m: Metric = {
        metric: d.metric,
        unit: d.unit,
        tend: stat(this.get(d.metric, 'tend')),
        pm2: stat(this.get(d.metric, 'pm2')),
      };
      if (d.baselineLabel !== undefined) m.baseline = { label: d.baselineLabel, stat: stat(this.get(d.metric, 'baseline')) };
      if (d.target !== undefined) m.target = d.target;
      if (d.pm2Reference !== undefined) m.pm2Reference = d.pm2Reference;
      return m;
    });
  }
}

/**
 * Runs `body` for each available tool in each round, alternating which tool goes first. A tool
 * that fails is recorded and skipped in the remaining rounds; the other tool carries on.
 */
export async function alternate(
  ctx: Context,
  rec: Recorder,
  rounds: number,
  body: (tool: Tool, round: number) => Promise<void>,
): Promise<void> {
  for (const [name, why] of Object.entries(ctx.unavailable)) rec.errors[name as ToolName] ??= why;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ctx.tools : [...ctx.tools].reverse();
    for (const tool of order) {
      if (rec.errors[tool.name] !== undefined) continue;
      const start = now();
      try {
        await body(tool, round);
        ctx.log(`round ${round + 1}/${rounds} ${tool.name}: ${(msSince(start) / 1000).toFixed(1)} s`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        rec.errors[tool.name] = `round ${round + 1}: ${message}`;
        ctx.log(`round ${round + 1}/${rounds} ${tool.name}: FAILED: ${message}`);
      }
    }
  }
}

/** Names app-0 … app-(n-1). */
export function appNames(n: number, prefix = 'app'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
