import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNumberedLines, lastLogLine, lineNumber, logFiles, totalSize } from '../lib/logfile.js';
import { fixture } from '../lib/paths.js';
import { cleanEnv, cpuSeconds, killRef, processRef } from '../lib/proc.js';
import { alternate, type Recorder, type Who, type Scenario } from '../lib/scenario.js';
import { withSession } from '../lib/session.js';
import { delay, now, nsToMs, waitFor } from '../lib/timing.js';

export const LINES = Number(process.env.TEND_BENCH_LOG_LINES || 500_000);
/** Give up when the file has not grown for this long after the app finished writing. */
const STALL_MS = 5_000;

const done = 'all lines in the log file';
const write = 'app write time';
const lost = 'lines lost';
const cpu = 'daemon CPU';

interface Marks {
  start: bigint;
  end: bigint | null;
}

function readMarks(path: string): Marks | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  const [start, end] = text.split(' ');
  if (!start) return undefined;
  return { start: BigInt(start), end: end ? BigInt(end) : null };
}

/**
 * Polls the log (every 5 ms) until its last line is the last number, or until it stops growing
 * after the app finished. Returns the hrtime at completion, or null if the lines never all came.
 */
async function waitComplete(logFile: string, marksFile: string): Promise<bigint | null> {
  let lastSize = -1;
  let lastGrowth = Date.now();
  for (;;) {
    if (lineNumber(lastLogLine(logFile)) === LINES - 1) return now();
    const size = totalSize(logFile);
    if (size !== lastSize) {
      lastSize = size;
      lastGrowth = Date.now();
    } else if (readMarks(marksFile)?.end != null && Date.now() - lastGrowth > STALL_MS) return null;
    if (Date.now() - lastGrowth > 60_000) return null;
    await delay(5);
  }
}

function record(rec: Recorder, who: Who, marksFile: string, logFile: string, completed: bigint | null): void {
  const marks = readMarks(marksFile);
  if (!marks) throw new Error('the app never wrote its marks file');
  const check = checkNumberedLines(logFile, LINES);
  rec.add(lost, who, check.lost);
  const files = logFiles(logFile).length;
  if (files > 1) rec.note(`${who}: the log was rotated (${files - 1} archives, all read back)`);
  if (check.duplicates) rec.note(`${who}: ${check.duplicates} duplicated lines`);
  if (check.outOfOrder) rec.note(`${who}: ${check.outOfOrder} lines out of order`);
  if (marks.end !== null) rec.add(write, who, nsToMs(marks.end - marks.start));
  if (completed !== null) rec.add(done, who, nsToMs(completed - marks.start));
  else rec.note(`${who}: the log never held all ${LINES} lines (${check.distinct} found)`);
}

/** The floor: `node lines.js > file`. */
async function direct(rec: Recorder, dir: string): Promise<void> {
  const logFile = join(dir, 'direct.log');
  const marksFile = join(dir, 'direct.marks');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [fixture('lines.js'), String(LINES), marksFile], {
    env: cleanEnv(),
    stdio: ['ignore', fd, 'ignore'],
  });
  closeSync(fd);
  const ref = child.pid !== undefined ? processRef(child.pid) : null;
  try {
    await waitFor('direct writer marks', () => readMarks(marksFile), 10_000, 5);
    record(rec, 'baseline', marksFile, logFile, await waitComplete(logFile, marksFile));
  } finally {
    if (ref) killRef(ref);
    else child.kill('SIGKILL');
  }
}

export const logThroughput: Scenario = {
  name: 'log-throughput',
  description: `an app writes ${LINES} numbered 100-byte lines as fast as it can; time from its first write until all are in the log file`,
  metrics: [
    { metric: done, unit: 'ms', baselineLabel: 'node app.js > file', target: '≤ 1.15× baseline', pm2Reference: '1.67× baseline' },
    { metric: write, unit: 'ms', baselineLabel: 'node app.js > file' },
    { metric: lost, unit: 'lines', baselineLabel: 'node app.js > file', target: '0' },
    { metric: cpu, unit: 's', target: '≤ 1.5 s', pm2Reference: '3.0 s' },
  ],
  async run(ctx, rec) {
    const dir = mkdtempSync(join(tmpdir(), 'tend-bench-logs-'));
    try {
      await alternate(ctx, rec, ctx.rounds, async (tool, round) => {
        await direct(rec, dir);
        await withSession(tool, async (s) => {
          const pid = await s.ensureDaemon();
          const marksFile = join(dir, `${tool.name}-${round}.marks`);
          const cpuBefore = cpuSeconds(pid);
          await s.start('lines', fixture('lines.js'), [String(LINES), marksFile]);
          await waitFor(`${tool.name} app marks`, () => readMarks(marksFile), 15_000, 5);
          const completed = await waitComplete(s.logFile('lines'), marksFile);
          rec.add(cpu, tool.name, cpuSeconds(pid) - cpuBefore);
          await s.list(); // tracks the app's pid for close()
          record(rec, tool.name, marksFile, s.logFile('lines'), completed);
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
