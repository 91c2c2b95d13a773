import type { AppMetrics, DaemonInfo, HolderFigures, ProcessInfo, ProcessStatus } from '../protocol/model.js';

export interface PrometheusInput {
  daemon: DaemonInfo;
  /** The daemon's own CPU time (process.cpuUsage), seconds. */
  daemonCpuSeconds: number;
  /** One per list row; a held app's instance 0 also brings its holder's own figures. */
  apps: Array<{
    info: ProcessInfo;
    metrics: AppMetrics;
    limitRestarts: Record<'memory' | 'cron' | 'health', number> & { age?: number };
    hasHealthCheck: boolean;
    holder?: HolderFigures | undefined;
    memoryLimitBytes?: number | null;
  }>;
}

/** A daemon problem about its disk: the persistence and log writers start those with "disk full" or "disk failing". */
const DISK_PROBLEM = /^disk (full|failing)/;

const STATUSES: readonly ProcessStatus[] = ['launching', 'online', 'stopping', 'stopped', 'waiting-restart', 'errored', 'waiting'];

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Family {
  readonly lines: string[] = [];
  constructor(
    readonly name: string,
    readonly type: 'gauge' | 'counter',
    readonly help: string,
  ) {}
  add(labels: Record<string, string>, value: number): void {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    this.lines.push(`${this.name}${l === '' ? '' : `{${l}}`} ${Number.isFinite(value) ? String(value) : '0'}`);
  }
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines].join('\n');
  }
}

/** `GET /metrics`: the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(input: PrometheusInput): string {
  const f = {
    up: new Family('tend_app_up', 'gauge', 'Whether the app has a running process (1) or not (0).'),
    status: new Family('tend_app_status', 'gauge', "The app's status: 1 for the current one, 0 for the others."),
    restarts: new Family('tend_app_restarts_total', 'counter', 'Restarts of the app (crashes, commands, limits).'),
    limit: new Family(
      'tend_app_limit_restarts_total',
      'counter',
      'Restarts tend decided on its own, by reason (memory, cron, health, age).',
    ),
    cpu: new Family(
      'tend_app_cpu_seconds_total',
      'counter',
      "CPU time used by the app's whole process tree since the daemon started watching it.",
    ),
    cpuPct: new Family('tend_app_cpu_percent', 'gauge', "CPU use of the app's process tree at the last sample, in percent of one core."),
    mem: new Family('tend_app_memory_bytes', 'gauge', "Resident memory (RSS) of the app's whole process tree."),
    mainMem: new Family('tend_app_main_memory_bytes', 'gauge', "Resident memory (RSS) of the app's main process only."),
    procs: new Family('tend_app_processes', 'gauge', "Processes in the app's tree."),
    uptime: new Family('tend_app_uptime_seconds', 'gauge', "Seconds since the app's current process started."),
    holderCpu: new Family(
      'tend_app_holder_cpu_percent',
      'gauge',
      "CPU use of a cluster / socket-activated app's holder process alone (not in any instance's figures).",
    ),
    holderMem: new Family(
      'tend_app_holder_memory_bytes',
      'gauge',
      "Resident memory of a cluster / socket-activated app's holder process alone: with its instances' tend_app_memory_bytes it sums to the app's total.",
    ),
    healthy: new Family(
      'tend_app_healthy',
      'gauge',
      'Health check result: 1 healthy, 0 unhealthy or not yet passing (apps with a check only).',
    ),
    port: new Family(
      'tend_app_listening_port',
      'gauge',
      "A TCP port in LISTEN or a bound UDP port of the app's process tree (always 1; the port is a label).",
    ),
    memLimit: new Family('tend_app_memory_limit_bytes', 'gauge', "The app's max_memory_restart (apps with one only)."),
  };
  for (const { info, metrics, limitRestarts, hasHealthCheck, holder, memoryLimitBytes } of input.apps) {
    // One series per list row (a held app's instances by their ids); the holder's own cost apart.
    const base = { app: info.name, id: String(info.id), namespace: info.namespace };
    if (holder !== undefined && holder.pid !== null) {
      if (holder.cpuPercent !== null) f.holderCpu.add(base, holder.cpuPercent);
      if (holder.memoryBytes !== null) f.holderMem.add(base, holder.memoryBytes);
    }
    f.up.add(base, info.pid === null ? 0 : 1);
    for (const s of STATUSES) f.status.add({ ...base, status: s }, info.status === s ? 1 : 0);
    f.restarts.add(base, info.restarts);
    for (const reason of ['memory', 'cron', 'health', 'age'] as const) f.limit.add({ ...base, reason }, limitRestarts[reason] ?? 0);
    f.cpu.add(base, metrics.cpuSeconds);
    if (info.pid !== null) {
      if (metrics.cpuPercent !== null) f.cpuPct.add(base, metrics.cpuPercent);
      if (metrics.memoryBytes !== null) f.mem.add(base, metrics.memoryBytes);
      if (metrics.main !== null) f.mainMem.add(base, metrics.main.memoryBytes);
      f.procs.add(base, metrics.processes);
      f.uptime.add(base, Math.round(info.uptimeMs / 100) / 10);
    }
    if (hasHealthCheck) f.healthy.add(base, info.health === 'healthy' ? 1 : 0);
    if (memoryLimitBytes !== null && memoryLimitBytes !== undefined) f.memLimit.add(base, memoryLimitBytes);
    for (const p of info.pid === null ? [] : (info.ports ?? []))
      f.port.add({ ...base, proto: p.proto, address: p.address, port: String(p.port) }, 1);
  }
  const d = input.daemon;
  const daemon = [
    new Family('tend_daemon_info', 'gauge', 'The running tend daemon (always 1).'),
    new Family('tend_daemon_apps', 'gauge', 'Apps the daemon manages.'),
    new Family('tend_daemon_start_time_seconds', 'gauge', 'When the daemon started, seconds since the Unix epoch.'),
    new Family('tend_daemon_cpu_seconds_total', 'counter', 'CPU time used by the daemon itself.'),
    new Family('tend_daemon_resident_memory_bytes', 'gauge', 'Resident memory of the daemon itself.'),
    new Family('tend_daemon_heap_used_bytes', 'gauge', 'V8 heap used by the daemon.'),
    new Family('tend_daemon_problems', 'gauge', 'Problems the daemon reports right now (ping and list show them).'),
    new Family(
      'tend_daemon_disk_failing',
      'gauge',
      "Whether a write of the daemon's state, status or log fails for a full or failing disk (1) or not (0).",
    ),
  ];
  daemon[0]?.add({ version: d.version, node: d.node, pid: String(d.pid) }, 1);
  daemon[1]?.add({}, d.apps);
  daemon[2]?.add({}, Math.floor(d.startedAt / 1000));
  daemon[3]?.add({}, Math.round(input.daemonCpuSeconds * 1000) / 1000);
  daemon[4]?.add({}, d.memory.rssBytes);
  daemon[5]?.add({}, d.memory.heapUsedBytes);
  daemon[6]?.add({}, d.problems.length);
  daemon[7]?.add({}, d.problems.some((p) => DISK_PROBLEM.test(p)) ? 1 : 0);
  const families = [...Object.values(f), ...daemon].filter((x) => x.lines.length > 0);
  return `${families.map((x) => x.render()).join('\n')}\n`;
}
