import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage, machineInfo } from './lib/machine.js';
import { resultsDir } from './lib/paths.js';
import { pm2 } from './lib/pm2.js';
import { markdownTable, textTable } from './lib/report.js';
import { Recorder, type Context, type ScenarioResult } from './lib/scenario.js';
import type { Tool, ToolName } from './lib/session.js';
import { tend } from './lib/tend.js';
import { msSince, now } from './lib/timing.js';
import { scenarios } from './scenarios/index.js';

const DEFAULT_ROUNDS = 3;

const USAGE = `usage: npm run bench -- [--scenario NAME[,NAME…]]… [--rounds N] [--tool tend|pm2] [--list]

Runs each scenario for tend and PM2 (pinned, installed outside the repo on first run),
alternating, and prints medians (min–max) with tend/PM2 ratios. Results: bench/results/latest.json
and latest.md. Scenarios: ${scenarios.map((s) => s.name).join(', ')}`;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      tool: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values.list) return void console.log(scenarios.map((s) => `${s.name}\t${s.description}`).join('\n'));

  const wanted = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const name of wanted) {
    if (!scenarios.some((s) => s.name === name)) fail(`unknown scenario "${name}"; one of: ${scenarios.map((s) => s.name).join(', ')}`);
  }
  const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
  const rounds = values.rounds !== undefined ? Number(values.rounds) : undefined;
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0))
    fail(`--rounds must be a positive integer, got "${values.rounds}"`);
  const toolNames = (values.tool ?? ['tend', 'pm2']).flatMap((t) => t.split(','));
  for (const t of toolNames) if (t !== 'tend' && t !== 'pm2') fail(`--tool must be tend or pm2, got "${t}"`);

  const machine = machineInfo();
  console.log(
    `machine: ${machine.cpuModel}, ${machine.nproc} CPUs, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}`,
  );
  const loadBefore = loadAverage();
  if (loadBefore > 0.5) console.warn(`warning: load average is ${loadBefore}; other work on this machine will skew the figures`);
  const tools: Tool[] = [];
  const unavailable: Partial<Record<ToolName, string>> = {};
  const versions: Partial<Record<ToolName, string>> = {};
  for (const tool of [tend, pm2].filter((t) => toolNames.includes(t.name))) {
    const why = await tool.check();
    if (why === null) {
      tools.push(tool);
      versions[tool.name] = await tool.version();
      console.log(`${tool.name}: ${versions[tool.name]}`);
    } else {
      unavailable[tool.name] = why;
      console.error(`${tool.name}: SKIPPED: ${why}`);
    }
  }
  if (tools.length === 0) fail('no tool to benchmark');

  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    const ctx: Context = {
      rounds: rounds ?? scenario.defaultRounds ?? DEFAULT_ROUNDS,
      tools,
      unavailable,
      log: (m) => console.log(`  [${scenario.name}] ${m}`),
    };
    console.log(`\n== ${scenario.name}: ${scenario.description} (${ctx.rounds} round${ctx.rounds > 1 ? 's' : ''})`);
    const rec = new Recorder();
    const start = now();
    try {
      await scenario.run(ctx, rec);
    } catch (err) {
      rec.note(`scenario failed: ${(err as Error).message}`);
    }
    const result: ScenarioResult = {
      name: scenario.name,
      description: scenario.description,
      metrics: rec.metrics(scenario.metrics),
      errors: rec.errors,
      notes: rec.notes,
      durationMs: msSince(start),
    };
    results.push(result);
    console.log(textTable([result]));
  }

  mkdirSync(resultsDir, { recursive: true });
  const loadAfter = loadAverage();
  if (loadAfter > machine.nproc) console.warn(`warning: load average reached ${loadAfter} during the run`);
  const output = {
    date: new Date().toISOString(),
    machine,
    loadAverage: { before: loadBefore, after: loadAfter },
    versions,
    rounds: rounds ?? null,
    results,
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(output, null, 2)}\n`);
  const header = [
    `- Machine: ${machine.cpuModel}, ${machine.nproc} CPUs (nproc), ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}`,
    `- Node ${machine.node}; tend ${versions.tend ?? 'not run'}; PM2 ${versions.pm2 ?? 'not run'}`,
    `- Run ${output.date}, rounds: ${rounds ?? 'defaults'}, load average before/after: ${loadBefore}/${loadAfter}`,
  ].join('\n');
  writeFileSync(join(resultsDir, 'latest.md'), `${header}\n\n${markdownTable(results)}\n`);
  console.log(`\n${textTable(results)}\n\nwrote ${join(resultsDir, 'latest.json')} and latest.md`);
  if (results.some((r) => Object.keys(r.errors).length > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
