import { basename, posix } from 'node:path';
import { fieldDefault } from '../../config/schema.js';
import { buildCommand } from '../../lib/command-line.js';
import type { AppSpec, Dependency, HealthSpec } from '../../protocol/app-spec.js';
import { COMMAND_LINE_SECRET, execHasUrlPassword, isSecret } from '../../protocol/secrets.js';
import { isScheduled } from '../../config/schedule.js';
import { fiveFieldCron } from '../job-schedule.js';

/** What `tend export kubernetes|compose` needs besides the specs. */
export interface ContainerOptions {
  /** Image for apps without an `image` key; null = every app must have one. */
  image: string | null;
  /** Where the app's folder (its cwd) is inside the image; null = the same path as here. */
  workdir: string | null;
}

/** One app as a container, independent of the orchestrator format. */
export interface ContainerApp {
  /** The tend app name. */
  app: string;
  /** A DNS-1035 label made from the app name (Kubernetes object and Service names, Compose service names). */
  name: string;
  image: string;
  /** The whole argv, programs by name (found in the image's PATH), paths mapped into the image. */
  argv: string[];
  workdir: string;
  plainEnv: Record<string, string>;
  secretEnv: Record<string, string>;
  port: number | null;
  replicas: number;
  /** autorestart: false — runs to completion (a Kubernetes Job, Compose `restart: "no"`). */
  job: boolean;
  /** A scheduled job: its 5-field cron pattern (a CronJob) and overlap policy; null otherwise. */
  cron: { pattern: string; overlap: 'skip' | 'queue' | 'allow'; runAtStart: boolean } | null;
  health: HealthSpec | null;
  memoryBytes: number | null;
  graceSeconds: number;
  killSignal: string;
  dependsOn: Dependency[];
  /** Settings of this app with no meaning in a container orchestrator (the caller adds format-specific ones). */
  unmapped: string[];
  notes: string[];
}

/**
 * A DNS-1035 label, valid for every Kubernetes object including a Service: lower case letters,
 * digits and `-`, at most 63 characters, a letter first and a letter or digit last (`1api` → `app-1api`).
 */
export function dnsLabel(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (/^[a-z]/.test(s) ? s : `app-${s}`).slice(0, 63).replace(/-+$/, '');
}

/** Settings whose value differs from the default and which no orchestrator field carries. */
function unmappedSettings(spec: AppSpec): string[] {
  const out: string[] = [];
  const differs = (key: string, value: unknown): boolean => JSON.stringify(value) !== JSON.stringify(fieldDefault(key));
  if (spec.cronRestart !== null) out.push('cron_restart');
  if (spec.watch !== undefined) out.push('watch');
  const l = spec.log;
  if (l.outFile !== null) out.push('out_file');
  if (l.errFile !== null) out.push('error_file');
  if (l.combinedFile !== null) out.push('log_file');
  // merge_logs is left aside: its default differs between PM2 files and tend's own, and a container's
  // output is two streams whatever it says.
  for (const [key, value] of [
    ['disable_logs', l.disabled],
    ['time', l.time],
    ['log_type', l.type],
    ['log_max_size', l.maxSizeBytes],
    ['log_rotate_interval', l.rotateInterval],
    ['log_retain', l.retain],
    ['log_compress', l.compress],
  ] as const) {
    if (differs(key, value)) out.push(key);
  }
  if (l.dateFormat !== null) out.push('log_date_format');
  for (const [key, value] of [
    ['restart_delay', spec.restartDelayMs],
    ['exp_backoff_restart_delay', spec.expBackoffRestartDelayMs],
    ['max_restarts', spec.maxRestarts],
    ['min_uptime', spec.minUptimeMs],
    ['stop_exit_codes', spec.stopExitCodes],
  ] as const) {
    if (differs(key, value)) out.push(key);
  }
  if (spec.waitReady) out.push('wait_ready (readiness comes from the probe)');
  if (spec.hooks !== undefined) out.push('hooks');
  return out;
}

function replicasOf(spec: AppSpec, notes: string[]): number {
  if (spec.instances >= 1) {
    if (spec.execMode === 'cluster')
      notes.push(`exec_mode cluster: ${spec.instances} pods of one process each (no node:cluster inside a pod)`);
    return spec.instances;
  }
  notes.push(
    `instances ${spec.instances === 0 ? 'max' : spec.instances} depends on this machine's CPUs; exported as 1 replica (set the replica count for the cluster)`,
  );
  return 1;
}

/** The app's port: proxy mode's public port, the first TCP `listen` address, else `PORT` in its environment (what `port` sets). */
function portOf(spec: AppSpec, notes: string[]): number | null {
  if (spec.proxy !== undefined) {
    notes.push(`proxy ${spec.proxy.listen}: in a container the app binds this port itself (${spec.proxy.portEnv} set to it)`);
    return Number(/(\d+)$/.exec(spec.proxy.listen)?.[1]);
  }
  const tcp = spec.listen.map((l) => /^(?:\d+|.*:(\d+))$/.exec(l)).find((m) => m !== null);
  if (spec.listen.length > 0)
    notes.push(
      `listen (${spec.listen.join(', ')}): tend opens these sockets for the app (LISTEN_FDS); in a container the app must bind its port itself`,
    );
  const fromListen = tcp === undefined || tcp === null ? NaN : Number(tcp[1] ?? tcp[0]);
  const n = Number.isInteger(fromListen) ? fromListen : Number(spec.env.PORT);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}

/**
 * The container form of an app. Only the variables the user set are exported (the spec's
 * `userEnv`; for a spec without it, those that differ from `inherited`, the environment the app
 * got from this machine): the image has its own PATH, HOME, …
 */
export function containerApp(spec: AppSpec, opts: ContainerOptions, inherited: Record<string, string>): ContainerApp | { error: string } {
  const image = spec.image ?? opts.image;
  if (image === null) return { error: `app ${spec.name} has no image: give --image IMG, or an \`image\` key in its config` };
  const notes: string[] = [];
  const workdir = opts.workdir ?? spec.cwd;
  const mapPath = (p: string): string => {
    if (p === spec.cwd) return workdir;
    if (p.startsWith(`${spec.cwd}/`)) return posix.join(workdir, p.slice(spec.cwd.length + 1));
    return p;
  };
  const program = (p: string): string => {
    if (!p.includes('/')) return p;
    const mapped = mapPath(p);
    if (mapped === p && opts.workdir !== null) notes.push(`${p} is outside the app's folder: the image must have it at that path`);
    return mapped;
  };
  // The supervisor's argv (lib/command-line.ts), with programs by name and paths in the app's folder moved to the image's.
  const e = spec.exec;
  const c = buildCommand(e, 'node');
  let argv: string[];
  if (e.shell) argv = [c.file, ...c.args];
  else if (e.interpreter === null) argv = [program(c.file), ...c.args.map(mapPath)];
  else {
    const interpreter = e.interpreter.includes('/') ? basename(e.interpreter) : e.interpreter;
    if (interpreter !== e.interpreter) notes.push(`interpreter ${e.interpreter} is run by name (${interpreter}) from the image's PATH`);
    argv = [interpreter, ...c.args.map(mapPath)];
  }
  const plainEnv: Record<string, string> = { TEND_APP_NAME: spec.name };
  const secretEnv: Record<string, string> = {};
  let dropped = 0;
  const userSet = spec.userEnv === undefined ? null : new Set(spec.userEnv);
  for (const [k, v] of Object.entries(spec.env)) {
    if (userSet !== null ? !userSet.has(k) : inherited[k] === v) {
      if (k !== 'PATH') dropped += 1;
      continue;
    }
    if (isSecret(k, v)) secretEnv[k] = v;
    else plainEnv[k] = mapPath(v);
  }
  if (execHasUrlPassword(e)) notes.push(`the container's command: ${COMMAND_LINE_SECRET}`);
  if (dropped > 0) notes.push(`${dropped} variable(s) inherited from this machine's environment left out (the image has its own)`);
  const port = portOf(spec, notes);
  // Proxy mode: no tend proxy in a container; the app binds the public port itself.
  if (spec.proxy !== undefined && port !== null) plainEnv[spec.proxy.portEnv] = String(port);
  const unmapped = unmappedSettings(spec);
  return {
    app: spec.name,
    name: dnsLabel(spec.name),
    image,
    argv,
    workdir,
    plainEnv,
    secretEnv,
    port,
    replicas: replicasOf(spec, notes),
    job: !spec.autorestart || spec.task === true,
    cron: cronOf(spec, notes),
    health: spec.health,
    memoryBytes: spec.maxMemoryRestartBytes,
    graceSeconds: Math.max(1, Math.ceil(spec.killTimeoutMs / 1000)),
    killSignal: spec.killSignal,
    dependsOn: spec.dependsOn ?? [],
    unmapped,
    notes,
  };
}

/** `http://127.0.0.1:3000/health?x=1` → the parts a probe needs. */
export function httpTarget(url: string): { scheme: 'HTTP' | 'HTTPS'; host: string; port: number; path: string } {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  return {
    scheme: https ? 'HTTPS' : 'HTTP',
    host: u.hostname,
    port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
    path: `${u.pathname}${u.search}`,
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

function cronOf(spec: AppSpec, notes: string[]): ContainerApp['cron'] {
  if (!isScheduled(spec)) return null;
  const { cron, why } = fiveFieldCron(spec);
  if (cron === null) {
    notes.push(`${why ?? 'its schedule cannot be mapped'}: exported as a Job that runs once`);
    return null;
  }
  return { pattern: cron, overlap: spec.overlap ?? 'skip', runAtStart: spec.runAtStart === true };
}
