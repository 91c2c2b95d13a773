import { checkAppSpec } from '../config/spec-check.js';
import { TendError } from '../errors.js';
import { isScheduled } from '../config/schedule.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { TASK_COMPLETED, type ProcessInfo } from '../protocol/process-info.js';
import { WANTED, isAtRest } from '../protocol/status-groups.js';
import type { Handlers } from '../rpc/server.js';
import { readDump, writeDump } from '../store/dump.js';
import type { TendPaths } from '../store/paths.js';
import { isRestarting } from '../supervisor/process-machine.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** Statuses that mean "the user wants this app running" (errored: wanted, but crashing). */

/**
 * tend save / tend resurrect. Only these two handlers write or read the dump: a daemon shutdown
 * never does (DESIGN.md §4, against pm2#4556).
 */
export function createDumpHandlers(deps: { supervisor: Supervisor; paths: TendPaths }): Pick<Handlers, 'dump.save' | 'dump.resurrect'> {
  const { supervisor, paths } = deps;
  return {
    'dump.save': (p) => {
      const { specs, ids, instanceIds } = wanted(supervisor);
      if (specs.length === 0 && p.force !== true) {
        const stopped = supervisor.list().length;
        throw new TendError(
          'E_USAGE',
          stopped > 0
            ? `no app is running (${stopped} stopped): saving would make boot start nothing`
            : 'no apps to save: saving would make boot start nothing',
          {
            hint: 'Start your apps first, or run `tend save --force` to save an empty set on purpose.',
          },
        );
      }
      writeDump(paths, specs, new Date(), ids, instanceIds);
      // Processes as `list` counts them (one per instance), the number resurrect starts.
      const processes = instanceIds.reduce((n, k) => n + (k === null ? 1 : k.length), 0);
      return { file: paths.dumpFile, apps: specs.map((s) => s.name), processes };
    },
    'dump.resurrect': async () => {
      const dump = readDump(paths, checkAppSpec);
      if (dump === null) {
        return {
          apps: [],
          source: 'dump' as const,
          notices: [`nothing saved yet (no ${paths.dumpFile}); run \`tend save\` to save the running apps`],
        };
      }
      const notices = [...dump.notices];
      const present = presentApps(supervisor);
      const toStart: { spec: AppSpec; id: number | undefined; instanceIds: number[] | undefined }[] = [];
      dump.apps.forEach((spec, i) => {
        const here = present.get(spec.name);
        if (here !== undefined) notices.push(here);
        else toStart.push({ spec, id: dump.ids?.[i], instanceIds: dump.instanceIds?.[i] ?? undefined });
      });
      // Started together (boot should not wait for each wait_ready app in turn). Each app gets
      // its saved id back when it is free, so `tend restart 0` means the same app after a reboot.
      // Instances get theirs too: `tend stop 3` names the same instance after a reboot.
      const results = await Promise.allSettled(toStart.map(({ spec, id, instanceIds }) => supervisor.start(spec, id, instanceIds)));
      const apps: ProcessInfo[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') apps.push(...r.value);
        else notices.push(`${toStart[i]?.spec.name ?? '?'} could not be started: ${(r.reason as Error).message}`);
      });
      return { apps, source: dump.source, notices, started: toStart.length - results.filter((r) => r.status === 'rejected').length };
    },
  };
}

/** A restart under way: its old process is being stopped, a new one follows. */
function restarting(supervisor: Supervisor, id: number): boolean {
  const h = supervisor.handle(id);
  return h !== undefined && isRestarting(h.snapshot);
}

/** At rest but wanted: a scheduled job between runs, and a task that completed (boot runs it again before what needs it). */
function wantedAtRest(spec: AppSpec, info: ProcessInfo): boolean {
  return isScheduled(spec) || info.reason === TASK_COMPLETED;
}

/**
 * The apps resurrect leaves as they are, each with the notice that says so: a running one, and
 * one that is at rest as wanted (a scheduled job between runs, a task that completed: a second
 * resurrect does not run a migration again). Boot's resurrect finds none of them.
 */
function presentApps(supervisor: Supervisor): Map<string, string> {
  const specs = supervisor.specs();
  const infos = supervisor.list();
  const present = new Map<string, string>();
  specs.forEach((spec, i) => {
    const info = infos[i];
    if (info?.name !== spec.name) return;
    if (!isAtRest(info.status)) present.set(spec.name, `${spec.name} is already running; left as it is`);
    else if (isScheduled(spec)) present.set(spec.name, `${spec.name} is already scheduled; left as it is`);
    else if (wantedAtRest(spec, info))
      present.set(spec.name, `${spec.name} already completed; left as it is (\`tend restart ${spec.name}\` runs it again)`);
  });
  return present;
}

/** The specs (and ids, and instance ids) of apps the user wants running, in id order. */
function wanted(supervisor: Supervisor): { specs: AppSpec[]; ids: number[]; instanceIds: Array<number[] | null> } {
  const specs = supervisor.specs();
  const infos = supervisor.list();
  // specs() and list() are both in id order over the same registry.
  const keep = specs
    .map((spec, i) => ({ spec, info: infos[i] }))
    // A job's run alongside is not saved: resurrect starts the job, never a second run of it.
    // An app `stopping` for a restart is wanted too (its old process is on its way out).
    .filter(
      ({ spec, info }) =>
        info?.name === spec.name &&
        spec.runOf === undefined &&
        (WANTED.has(info.status) || wantedAtRest(spec, info) || restarting(supervisor, info.id)),
    );
  const ids = keep.map((k) => k.info?.id ?? 0);
  return { specs: keep.map((k) => k.spec), ids, instanceIds: ids.map((id) => supervisor.instanceIdsOf(id) ?? null) };
}
