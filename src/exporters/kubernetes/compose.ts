import type { HealthSpec } from '../../protocol/app-spec.js';
import { httpTarget, type ContainerApp } from './container-app.js';

export interface ComposeExport {
  /** The Compose file as data. */
  file: { services: Record<string, Record<string, unknown>> };
  /** Secret-looking variables: Compose reads them from the environment or the `.env` beside the file. */
  dotenv: Record<string, string>;
  warnings: string[];
}

/** Compose interpolates `$NAME` in values: a literal `$` is written `$$`. */
const lit = (s: string): string => s.replace(/\$/g, '$$$$');

/** A name Compose can interpolate as `${NAME}`. */
const REFERABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A `.env` line every Compose reads back as exactly `value`, or null when there is none. Single
 * quotes: docker compose takes what they hold literally; python-dotenv (podman-compose) still
 * decodes `\\` and `\'` in them and interpolates `${…}` (there is no escape for it), so a value
 * holding a quote, a backslash, `${` or a line break cannot be written for both.
 */
export function dotenvLine(name: string, value: string): string | null {
  if (!REFERABLE.test(name) || /['\\\r\n\0]|\$\{/.test(value)) return null;
  return `${name}='${value}'`;
}

/** The `.env` file for the secrets, and the names it cannot carry exactly (to be set in the environment). */
export function dotenvFile(dotenv: Record<string, string>): { text: string; unwritable: string[] } {
  const lines: string[] = [];
  const unwritable: string[] = [];
  for (const [k, v] of Object.entries(dotenv)) {
    const line = dotenvLine(k, v);
    if (line === null) unwritable.push(k);
    else lines.push(line);
  }
  return { text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, unwritable };
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * A health check inside the container. HTTP and TCP checks are run with node (which a Node app's
 * image has); an exec check runs as given.
 */
function healthcheck(h: HealthSpec): Record<string, unknown> {
  const p = h.probe;
  let test: string[];
  // The shell form: Compose implementations pass it through /bin/sh -c unchanged.
  if (p.type === 'exec') test = ['CMD-SHELL', lit(p.command)];
  else if (p.type === 'http') {
    const t = httpTarget(p.url);
    const url = `${t.scheme.toLowerCase()}://127.0.0.1:${t.port}${t.path}`.replace(/'/g, '%27');
    test = [
      'CMD-SHELL',
      lit(
        `node -e 'require("${t.scheme === 'HTTPS' ? 'https' : 'http'}").get(${JSON.stringify(url)},(r)=>process.exit(r.statusCode>=200&&r.statusCode<400?0:1)).on("error",()=>process.exit(1))'`,
      ),
    ];
  } else
    test = [
      'CMD-SHELL',
      lit(`node -e 'require("net").connect(${p.port},"127.0.0.1",()=>process.exit(0)).on("error",()=>process.exit(1))'`),
    ];
  return {
    test,
    interval: duration(h.intervalMs),
    timeout: duration(h.timeoutMs),
    retries: h.retries,
    ...(h.startPeriodMs > 0 ? { start_period: duration(h.startPeriodMs) } : {}),
  };
}

/** Every app as a Compose service. */
export function toCompose(apps: ContainerApp[]): ComposeExport {
  const services: Record<string, Record<string, unknown>> = {};
  const dotenv: Record<string, string> = {};
  const warnings: string[] = [];
  const byApp = new Map(apps.map((a) => [a.app, a]));
  for (const a of apps) {
    if (a.unmapped.length > 0) warnings.push(`${a.app}: no Compose meaning, left out: ${a.unmapped.join(', ')}`);
    for (const n of a.notes) warnings.push(`${a.app}: ${n}`);
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(a.plainEnv)) environment[k] = lit(v);
    for (const [k, v] of Object.entries(a.secretEnv)) {
      if (!REFERABLE.test(k)) {
        warnings.push(`${a.app}: secret variable ${k} left out: Compose cannot refer to that name as \${${k}}`);
        continue;
      }
      environment[k] = `\${${k}}`;
      dotenv[k] = v;
    }
    if (a.cron !== null)
      warnings.push(
        `${a.app}: Compose has no schedules: the job runs once when the project starts (run it from the host's cron or a systemd timer: tend export systemd)`,
      );
    const dependsOn: Record<string, { condition: string }> = {};
    for (const d of a.dependsOn) {
      const dep = byApp.get(d.app);
      if (dep === undefined) continue;
      if (d.condition === 'completed') {
        dependsOn[dep.name] = { condition: 'service_completed_successfully' };
        continue;
      }
      const healthy = d.condition !== 'started' && dep.health !== null;
      dependsOn[dep.name] = { condition: healthy ? 'service_healthy' : 'service_started' };
      if (d.condition !== 'started' && dep.health === null)
        warnings.push(
          `${a.app}: depends on ${d.app} being ${d.condition}, but ${d.app} has no health check: Compose only waits for it to start`,
        );
    }
    const ports = a.port === null ? {} : a.replicas === 1 ? { ports: [`${a.port}:${a.port}`] } : { expose: [String(a.port)] };
    if (a.port !== null && a.replicas > 1)
      warnings.push(`${a.app}: ${a.replicas} replicas cannot publish one host port; port ${a.port} is exposed to the other services only`);
    services[a.name] = {
      image: lit(a.image),
      entrypoint: a.argv.map(lit),
      working_dir: lit(a.workdir),
      ...(Object.keys(environment).length > 0 ? { environment } : {}),
      ...ports,
      ...(a.health !== null ? { healthcheck: healthcheck(a.health) } : {}),
      ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
      restart: a.job ? 'no' : 'always',
      stop_signal: a.killSignal,
      stop_grace_period: `${a.graceSeconds}s`,
      ...(a.memoryBytes !== null ? { mem_limit: a.memoryBytes } : {}),
      ...(a.replicas > 1 ? { deploy: { replicas: a.replicas } } : {}),
    };
  }
  return { file: { services }, dotenv, warnings };
}
