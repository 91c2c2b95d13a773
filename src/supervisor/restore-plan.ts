import { checkAppSpec } from '../config/spec-check.js';
import type { ProcStat } from '../procfs/procfs.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ReloadReport } from '../protocol/process-info.js';
import type { OpVerb, PendingOp, ProcessRecord } from './handle-types.js';
import { INITIAL, isRestarting, isRunning, type ProcessState } from './process-machine.js';
import { runLeader, startedAtMs, tokenTime, type FoundRun } from './run-finder.js';

/** What a starting daemon does with each app and each process of its home it found. */
export interface RestorePlan {
  nextId: number;
  /** `adopt`: the record names a live leader. `dead`: apply the restart policy. `start`: spawn it (a start whose run never came up). */
  apps: Array<{ record: ProcessRecord; mode: 'adopt' | 'dead' | 'start' }>;
  /** Runs nobody will manage (older runs, runs of unknown or deleted apps): stopped. */
  stray: FoundRun[];
  notices: string[];
}

type Intent =
  | { op: 'spawn'; id: number; token: string; spec?: unknown; createdAt?: number; restarts?: number }
  | { op: 'spawned'; id: number; token: string; pid: number; startTicks: string | null }
  | { op: 'stop'; id: number; remove: boolean }
  | {
      op: 'operation';
      goal: 'run' | 'stop' | 'remove';
      verb: OpVerb | 'stop' | 'delete';
      ids: number[];
      at: number;
      specs: Record<string, unknown>;
    };

const VERBS: ReadonlySet<string> = new Set<OpVerb>(['start', 'restart', 'reload', 'apply', 'scale', 'watch']);

const STATES: ReadonlySet<string> = new Set<ProcessState>([
  'stopped',
  'starting',
  'waiting-ready',
  'online',
  'stopping',
  'backoff',
  'errored',
]);

/** The newest live run of this app found by its token, with its leader (the journal's pid when it recorded the spawn). */
function newestRun(
  record: ProcessRecord,
  runs: Map<string, FoundRun>,
  spawnedAt: Map<string, { pid: number; startTicks: string | null }>,
): { run: FoundRun; leader: ProcStat } | null {
  let newer: { run: FoundRun; leader: ProcStat } | null = null;
  for (const run of runs.values()) {
    if (run.id !== record.id) continue;
    const known =
      run.token === record.token && record.pid !== null
        ? { pid: record.pid, startTicks: record.startTicks }
        : (spawnedAt.get(run.token) ?? null);
    const leader = runLeader(run, known);
    if (leader !== null && (newer === null || Number(leader.startTicks) > Number(newer.leader.startTicks))) newer = { run, leader };
  }
  return newer;
}

/**
 * Merges state.json, the intent journal and the processes found by token into one plan, so that
 * whatever instant the previous daemon died at, each app ends with exactly one run (adopted, or
 * restarted by policy) and every other process of the home is stopped: no duplicate, no orphan.
 */
export function planRestore(
  state: { nextId: number; records: ProcessRecord[] },
  rawIntents: unknown[],
  runs: Map<string, FoundRun>,
  isAlive: (pid: number, startTicks: string | null) => boolean,
  now: number,
): RestorePlan {
  const notices: string[] = [];
  const byId = new Map(state.records.map((r) => [r.id, r]));
  let nextId = Math.max(state.nextId, ...state.records.map((r) => r.id + 1));
  const spawnedAt = new Map<string, { pid: number; startTicks: string | null }>();
  /** The restart count each journaled run started with (the state file may predate the run). */
  const restartsAt = new Map<string, number>();
  const lastOp = new Map<number, 'spawn' | 'stop' | 'delete'>();
  /** The run token of each app's last journaled spawn. */
  const lastSpawn = new Map<number, string>();
  /** Operations not finished per app: from state.json, then as the journal moves them on. */
  const pending = new Map<number, PendingOp>();
  for (const r of state.records) if (r.pending != null) pending.set(r.id, r.pending);
  const specOf = (raw: unknown, id: number): AppSpec | null => {
    if (raw === undefined) return null;
    try {
      return checkAppSpec(raw, `intent journal, app ${id}`);
    } catch (err) {
      notices.push(`ignored a spec in the intent journal: ${(err as Error).message}`);
      return null;
    }
  };
  for (const raw of rawIntents) {
    const intent = parseIntent(raw);
    if (intent === null) continue;
    if (intent.op === 'operation') {
      for (const id of intent.ids) {
        nextId = Math.max(nextId, id + 1);
        const given = intent.specs[String(id)] as { spec?: unknown; createdAt?: unknown } | undefined;
        const spec = specOf(given?.spec, id);
        const record = byId.get(id);
        if (record !== undefined && spec !== null) record.spec = spec;
        if (record === undefined && spec !== null)
          byId.set(id, newRecord(id, spec, typeof given?.createdAt === 'number' ? given.createdAt : now));
        if (intent.goal === 'run') pending.set(id, { verb: intent.verb as OpVerb, at: intent.at });
        else {
          pending.delete(id);
          lastOp.set(id, intent.goal === 'remove' ? 'delete' : 'stop');
        }
      }
      continue;
    }
    nextId = Math.max(nextId, intent.id + 1);
    if (intent.op === 'spawned') {
      spawnedAt.set(intent.token, { pid: intent.pid, startTicks: intent.startTicks });
      continue;
    }
    if (intent.op === 'stop') {
      lastOp.set(intent.id, intent.remove ? 'delete' : 'stop');
      pending.delete(intent.id);
      continue;
    }
    if (intent.restarts !== undefined) restartsAt.set(intent.token, intent.restarts);
    const spec = specOf(intent.spec, intent.id);
    const record = byId.get(intent.id);
    if (record !== undefined && spec !== null) record.spec = spec;
    if (record === undefined && spec !== null) byId.set(intent.id, newRecord(intent.id, spec, intent.createdAt ?? now));
    lastOp.set(intent.id, 'spawn');
    lastSpawn.set(intent.id, intent.token);
    // A new run was made for it (adopted by its token, or started again below): its part of
    // any operation before is done.
    pending.delete(intent.id);
  }

  const claimed = new Set<string>();
  const apps: RestorePlan['apps'] = [];
  for (const record of [...byId.values()].sort((a, b) => a.id - b.id)) {
    const op = lastOp.get(record.id);
    // When the recorded run is gone, the newest live run of this app (found by token) is the
    // one to keep: started after state.json was written (journaled, or recovered from a backup).
    const recordedAlive = record.pid !== null && isAlive(record.pid, record.startTicks);
    const newer = recordedAlive ? null : newestRun(record, runs, spawnedAt);
    let mode: 'adopt' | 'dead' | 'start';
    if (newer !== null) {
      record.pid = newer.leader.pid;
      record.startTicks = newer.leader.startTicks;
      record.token = newer.run.token;
      // The restart that started this run was counted before its spawn, after the state was written.
      record.restarts = Math.max(record.restarts, restartsAt.get(newer.run.token) ?? record.restarts);
      // Uptime from the process's real start, not from this restore.
      record.startedAt = Math.min(now, startedAtMs(newer.leader.startTicks) ?? now);
      record.snapshot = { ...record.snapshot, state: 'online', afterStop: 'nothing', forced: false, reason: null };
      claimed.add(newer.run.token);
      notices.push(
        `app ${record.spec.name}: adopted pid ${newer.leader.pid}, a run the state file did not record (found by its run token)`,
      );
      mode = 'adopt';
    } else if (recordedAlive) {
      mode = 'adopt';
    } else mode = deadOrStart(record, op, lastSpawn.get(record.id), spawnedAt);
    record.pending = pending.get(record.id) ?? null;
    // A live run made at or after the operation was asked for is its run (the state file, or
    // the backup it came from, was written before that spawn).
    const made = mode === 'adopt' && record.token !== null ? tokenTime(record.token) : null;
    if (record.pending !== null && made !== null && made >= record.pending.at) record.pending = null;
    // Leftovers of the recorded run are stopped by the handle itself when it sees the run's end.
    const handlesLeftovers = mode === 'adopt' || (mode === 'dead' && isRunningState(record.snapshot.state) && record.pid !== null);
    if (record.token !== null && handlesLeftovers && newer === null) claimed.add(record.token);
    // A stop or delete was asked for after the state was written: carry it out.
    if (op === 'stop' || op === 'delete') {
      record.pending = null;
      if (mode === 'adopt') record.snapshot = { ...record.snapshot, state: 'stopping', afterStop: op === 'delete' ? 'remove' : 'nothing' };
      else if (op === 'delete') continue;
      else {
        record.snapshot = { ...record.snapshot, state: 'stopped' };
        mode = 'dead';
      }
    }
    apps.push({ record, mode });
  }
  const stray = [...runs.values()].filter((run) => !claimed.has(run.token));
  for (const run of stray) {
    const app = byId.get(run.id);
    notices.push(
      `stopping ${run.members.length} process(es) of ${app === undefined ? `unknown app id ${run.id}` : `an old run of ${app.spec.name}`} found by run token (pids ${run.members.map((m) => m.pid).join(', ')})`,
    );
  }
  return { nextId, apps, stray, notices };
}

/** No live run of the record: restarted by policy (`dead`), or started again (`start`). */
function deadOrStart(
  record: ProcessRecord,
  op: 'spawn' | 'stop' | 'delete' | undefined,
  token: string | undefined,
  spawnedAt: Map<string, { pid: number; startTicks: string | null }>,
): 'dead' | 'start' {
  // A spawn was journaled, or recorded as under way (a run state with no pid), but no run of it
  // lives: it died at once or never came up. Start it again (the user or the restart policy
  // wanted it running).
  const underWay = op === 'spawn' || spawnUnderWay(record);
  // But a task (a job's run) that came up and ended while no daemon watched ran: its end is seen
  // as any exit unseen; starting it again would run it twice.
  if (underWay && record.spec.task === true && ranTask(record, token ?? record.token ?? undefined, spawnedAt)) return 'dead';
  return underWay ? 'start' : 'dead';
}

/** The journaled spawn of a task came up (its pid was journaled): the record takes that run, as one that ended. */
function ranTask(
  record: ProcessRecord,
  token: string | undefined,
  spawnedAt: Map<string, { pid: number; startTicks: string | null }>,
): boolean {
  const came = token === undefined ? undefined : spawnedAt.get(token);
  if (came === undefined) return false;
  record.pid = came.pid;
  record.startTicks = came.startTicks;
  record.token = token as string;
  record.startedAt = (came.startTicks === null ? null : startedAtMs(came.startTicks)) ?? record.startedAt;
  record.snapshot = { ...record.snapshot, state: 'online', afterStop: 'nothing', forced: false, reason: null };
  return true;
}

/** No run found for a record whose state says one was being made (spawned, never journaled as done). */
function spawnUnderWay(record: ProcessRecord): boolean {
  if (record.pid !== null) return false;
  const s = record.snapshot;
  return s.state === 'starting' || s.state === 'waiting-ready' || s.state === 'online' || isRestarting(s);
}

function newRecord(id: number, spec: AppSpec, createdAt: number): ProcessRecord {
  return {
    id,
    spec,
    createdAt,
    restarts: 0,
    snapshot: { ...INITIAL, state: 'starting' },
    pid: null,
    startTicks: null,
    startedAt: null,
    lastExit: null,
    token: null,
  };
}

function isRunningState(state: ProcessState): boolean {
  return isRunning(state) || state === 'backoff';
}

function parseIntent(raw: unknown): Intent | null {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) return null;
  if (r.op === 'operation') {
    const ids = Array.isArray(r.ids) ? r.ids.filter((id): id is number => Number.isInteger(id) && (id as number) >= 0) : [];
    const goal = r.goal === 'stop' || r.goal === 'remove' ? r.goal : 'run';
    if (goal === 'run' && !VERBS.has(String(r.verb))) return null;
    const specs = typeof r.specs === 'object' && r.specs !== null && !Array.isArray(r.specs) ? (r.specs as Record<string, unknown>) : {};
    return { op: 'operation', goal, verb: r.verb as OpVerb, ids, at: typeof r.at === 'number' ? r.at : 0, specs };
  }
  if (typeof r !== 'object' || r === null || !Number.isInteger(r.id) || (r.id as number) < 0) return null;
  if (r.op === 'stop') return { op: 'stop', id: r.id as number, remove: r.remove === true };
  if (typeof r.token !== 'string') return null;
  if (r.op === 'spawned' && Number.isInteger(r.pid))
    return {
      op: 'spawned',
      id: r.id as number,
      token: r.token,
      pid: r.pid as number,
      startTicks: typeof r.startTicks === 'string' ? r.startTicks : null,
    };
  if (r.op === 'spawn') {
    return {
      op: 'spawn',
      id: r.id as number,
      token: r.token,
      spec: r.spec,
      ...(typeof r.createdAt === 'number' ? { createdAt: r.createdAt } : {}),
      ...(Number.isInteger(r.restarts) && (r.restarts as number) >= 0 ? { restarts: r.restarts as number } : {}),
    };
  }
  return null;
}

/** Validates one state.json record (the spec with the CLI's schema); throws with what is wrong. */
export function checkRecord(raw: unknown, index: number): ProcessRecord {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('not an object');
  if (!Number.isInteger(r.id) || (r.id as number) < 0) throw new Error('no valid id');
  const spec = checkAppSpec(r.spec, `state.json, app #${index}`);
  const snap = r.snapshot as Record<string, unknown> | null;
  if (typeof snap !== 'object' || snap === null || typeof snap.state !== 'string' || !STATES.has(snap.state))
    throw new Error('no valid snapshot.state');
  const hist = snap.history as Record<string, unknown> | null;
  if (typeof hist !== 'object' || hist === null || !Number.isInteger(hist.unstableRestarts) || !Number.isInteger(hist.consecutiveCrashes))
    throw new Error('no valid snapshot.history');
  const intOrNull = (v: unknown): boolean => v === null || (Number.isInteger(v) && (v as number) > 0);
  const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
  if (!intOrNull(r.pid) || !strOrNull(r.startTicks) || !strOrNull(r.token) || !(r.startedAt === null || typeof r.startedAt === 'number'))
    throw new Error('bad pid/startTicks/token/startedAt');
  if (typeof r.createdAt !== 'number' || !Number.isInteger(r.restarts)) throw new Error('bad createdAt/restarts');
  if (r.lastExit !== null && (typeof r.lastExit !== 'object' || Array.isArray(r.lastExit))) throw new Error('bad lastExit');
  const p = r.pending as Record<string, unknown> | null | undefined;
  const pending =
    typeof p === 'object' && p !== null && VERBS.has(String(p.verb)) && typeof p.at === 'number'
      ? { verb: p.verb as OpVerb, at: p.at }
      : null;
  const lastReload = checkReloadReport(r.lastReload);
  return {
    ...(r as unknown as ProcessRecord),
    spec,
    pending,
    lastReload,
    snapshot: { ...INITIAL, ...(snap as object) } as ProcessRecord['snapshot'],
  };
}

/**
 * A saved reload report (`describe`'s "last reload"), or null when there is none or it is not
 * one: it only informs, so a damaged one is dropped rather than failing the app's record.
 */
export function checkReloadReport(raw: unknown): ReloadReport | null {
  const r = raw as Record<string, unknown> | null | undefined;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  const ints = (v: unknown): boolean => Array.isArray(v) && v.every((n) => Number.isInteger(n) && (n as number) >= 0);
  const valid =
    typeof r.at === 'number' &&
    Number.isFinite(r.at) &&
    typeof r.ok === 'boolean' &&
    ints(r.replaced) &&
    (r.failedInstance === null || (Number.isInteger(r.failedInstance) && (r.failedInstance as number) >= 0)) &&
    (r.reason === null || typeof r.reason === 'string') &&
    Array.isArray(r.stderr) &&
    r.stderr.every((line) => typeof line === 'string');
  if (!valid) return null;
  const { at, ok, replaced, failedInstance, reason, stderr } = r as unknown as ReloadReport;
  return { at, ok, replaced, failedInstance, reason, stderr };
}
