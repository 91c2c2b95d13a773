import type { HealthSpec } from '../../protocol/app-spec.js';
import { httpTarget, isLoopback, type ContainerApp } from './container-app.js';

/** A Kubernetes object as plain data (serialized to YAML by the caller). */
export type KubeObject = { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<string, unknown>;

export interface KubeExport {
  objects: KubeObject[];
  warnings: string[];
}

/** `200Mi` when the size is a whole number of MiB (or GiB), else bytes. */
export function memoryQuantity(bytes: number): string {
  const Mi = 1024 * 1024;
  if (bytes % (1024 * Mi) === 0) return `${bytes / (1024 * Mi)}Gi`;
  if (bytes % Mi === 0) return `${bytes / Mi}Mi`;
  return String(bytes);
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The probe's action (httpGet, tcpSocket or exec) from a health check. */
function probeAction(h: HealthSpec, notes: string[], app: string): Record<string, unknown> {
  const p = h.probe;
  if (p.type === 'http') {
    const t = httpTarget(p.url);
    // The kubelet probes the pod's address; a loopback host in the check means "this app".
    if (!isLoopback(t.host)) notes.push(`${app}: the health check's host ${t.host} is kept; the kubelet will probe that host, not the pod`);
    return { httpGet: { path: t.path, port: t.port, scheme: t.scheme, ...(isLoopback(t.host) ? {} : { host: t.host }) } };
  }
  if (p.type === 'tcp') return { tcpSocket: { port: p.port } };
  return { exec: { command: ['/bin/sh', '-c', p.command] } };
}

function probes(a: ContainerApp, notes: string[]): Record<string, unknown> {
  if (a.health !== null) {
    const h = a.health;
    const action = probeAction(h, notes, a.app);
    const timing = { periodSeconds: seconds(h.intervalMs), timeoutSeconds: seconds(h.timeoutMs), failureThreshold: h.retries };
    return {
      readinessProbe: { ...action, ...timing },
      livenessProbe: { ...action, ...timing, ...(h.startPeriodMs > 0 ? { initialDelaySeconds: seconds(h.startPeriodMs) } : {}) },
    };
  }
  if (a.port !== null) return { readinessProbe: { tcpSocket: { port: a.port }, periodSeconds: 2, failureThreshold: 3 } };
  return {};
}

/**
 * Kubernetes stops a container with SIGTERM. For another kill_signal, a preStop hook sends it to
 * the app (PID 1 of the container) and waits until it has exited, within the grace period.
 */
function stopHook(a: ContainerApp): Record<string, unknown> {
  if (a.killSignal === 'SIGTERM') return {};
  const sig = a.killSignal.replace(/^SIG/, '');
  return {
    lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `kill -${sig} 1; while kill -0 1 2>/dev/null; do sleep 1; done`] } } },
  };
}

/**
 * The kubelet expands `$(NAME)` in a container's command and args and turns `$$` into `$`: every
 * `$` doubled is read back as the `$` the app had.
 */
const literal = (s: string): string => s.replace(/\$/g, '$$$$');

/** `init`: an init container, which Kubernetes (and podman) refuse with probes or a lifecycle hook. */
function container(a: ContainerApp, notes: string[], init = false): Record<string, unknown> {
  const envFrom: Record<string, unknown>[] = [];
  if (Object.keys(a.plainEnv).length > 0) envFrom.push({ configMapRef: { name: `${a.name}-env` } });
  if (Object.keys(a.secretEnv).length > 0) envFrom.push({ secretRef: { name: `${a.name}-secret` } });
  return {
    name: a.name,
    image: a.image,
    command: a.argv.slice(0, 1).map(literal),
    ...(a.argv.length > 1 ? { args: a.argv.slice(1).map(literal) } : {}),
    workingDir: a.workdir,
    ...(envFrom.length > 0 ? { envFrom } : {}),
    ...(a.port !== null ? { ports: [{ name: 'app', containerPort: a.port, protocol: 'TCP' }] } : {}),
    ...(init ? {} : probes(a, notes)),
    ...(a.memoryBytes !== null ? { resources: { limits: { memory: memoryQuantity(a.memoryBytes) } } } : {}),
    ...(init ? {} : stopHook(a)),
  };
}

/** The app's workload: a CronJob (scheduled), a Job (a task) or a Deployment, with the pod spec. */
function workload(
  a: ContainerApp,
  metadata: Record<string, unknown>,
  labels: Record<string, string>,
  podSpec: Record<string, unknown>,
  warnings: string[],
): KubeObject {
  if (a.cron !== null) {
    // Kubernetes never runs a missed schedule late here either (a 60 s start deadline), and skips a due time while a run still runs.
    if (a.cron.overlap === 'queue')
      warnings.push(`${a.app}: overlap queue has no CronJob meaning: exported as concurrencyPolicy Forbid (skip)`);
    if (a.cron.runAtStart)
      warnings.push(`${a.app}: run_at_start has no CronJob meaning: create a Job from it (kubectl create job --from=cronjob/${a.name})`);
    return {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata,
      spec: {
        schedule: a.cron.pattern,
        concurrencyPolicy: a.cron.overlap === 'allow' ? 'Allow' : 'Forbid',
        startingDeadlineSeconds: 60,
        jobTemplate: { spec: { backoffLimit: 0, template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Never' } } } },
      },
    };
  }
  if (a.job) {
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata,
      spec: {
        parallelism: a.replicas,
        completions: a.replicas,
        backoffLimit: 0,
        template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Never' } },
      },
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: a.replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Always' } },
    },
  };
}

/** Every app as ConfigMap + Secret + Deployment (or Job) + Service. */
export function toKubernetes(apps: ContainerApp[], namespace: string | null): KubeExport {
  const objects: KubeObject[] = [];
  const warnings: string[] = [];
  for (const a of apps) {
    const labels = { 'app.kubernetes.io/name': a.name };
    const meta = (name: string): Record<string, unknown> => ({ name, ...(namespace !== null ? { namespace } : {}), labels });
    // A task it needs `completed` runs first in its pod, as an init container; other dependencies cannot be mapped.
    const inits = a.dependsOn.flatMap((d) => apps.filter((x) => d.condition === 'completed' && x.app === d.app && x.job));
    const unordered = a.dependsOn.filter((d) => !inits.some((x) => x.app === d.app));
    const unmapped = [
      ...a.unmapped,
      ...(unordered.length > 0
        ? [
            `depends_on ${unordered.map((d) => d.app).join(', ')} (Kubernetes starts pods in any order; make the app retry its dependencies)`,
          ]
        : []),
    ];
    if (unmapped.length > 0) warnings.push(`${a.app}: no Kubernetes meaning, left out: ${unmapped.join(', ')}`);
    for (const n of a.notes) warnings.push(`${a.app}: ${n}`);
    if (Object.keys(a.plainEnv).length > 0)
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${a.name}-env`), data: a.plainEnv });
    if (Object.keys(a.secretEnv).length > 0)
      objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(`${a.name}-secret`), type: 'Opaque', stringData: a.secretEnv });
    const podSpec = {
      terminationGracePeriodSeconds: a.graceSeconds,
      ...(inits.length > 0 ? { initContainers: inits.map((x) => container(x, warnings, true)) } : {}),
      containers: [container(a, warnings)],
    };
    // A task that runs as another app's init container is not a Job of its own too.
    if (a.job && apps.some((x) => x.dependsOn.some((d) => d.app === a.app && d.condition === 'completed'))) continue;
    objects.push(workload(a, meta(a.name), labels, podSpec, warnings));
    if (a.port !== null && !a.job) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(a.name),
        spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'app', port: a.port, targetPort: a.port, protocol: 'TCP' }] },
      });
    }
  }
  const signalled = apps.filter((a) => a.killSignal !== 'SIGTERM');
  for (const sig of new Set(signalled.map((a) => a.killSignal))) {
    const names = signalled.filter((a) => a.killSignal === sig).map((a) => a.app);
    warnings.push(
      `kill_signal ${sig} (${names.join(', ')}): Kubernetes stops containers with SIGTERM, so a preStop hook sends ${sig} to the app first (the image needs /bin/sh)`,
    );
  }
  return { objects, warnings };
}
