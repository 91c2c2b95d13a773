import net from 'node:net';
import { join } from 'node:path';
import { runProbe, type ProbeContext } from '../health/probe.js';
import type { AppSpec, HealthProbe } from '../protocol/app-spec.js';
import { spawnAppProcess } from './app-process.js';
import type { WorkerDriver, WorkerProcess } from './driver.js';
import { PublicProxy } from './proxy-server.js';

/** How often a new instance is checked until it listens or its health check first passes. */
const READY_POLL_MS = 50;

/**
 * Proxy mode (`proxy: 8080`): the holder owns the public port and forwards each connection to
 * an instance; every instance binds a private loopback port of its own, given in
 * `proxy_port_env` (PORT by default). An instance joins the rotation once it is ready: its own
 * signal first when it gives one (wait_ready), then listening on its private port, then its
 * health check when it has one (an http or tcp check on the public port is sent to the
 * instance's private port). Retiring an instance takes it out of rotation, lets its exchanges
 * in flight finish while its keep-alive connections move to the other instances, and stops it
 * once it serves no connection (or kill_timeout passed).
 */
export class ProxyDriver implements WorkerDriver {
  readonly kind = 'proxy' as const;
  private spawned = 0;

  constructor(
    private readonly proxy: PublicProxy,
    private readonly publicPort: number,
    private readonly runDir: string,
    private readonly prefix: string,
  ) {}

  async spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess> {
    const portEnv = spec.proxy?.portEnv ?? 'PORT';
    const port = await freeLoopbackPort();
    const notify = join(this.runDir, `${this.prefix}.${instance}.${++this.spawned}.notify`);
    const instanceEnv = { ...env, [portEnv]: String(port) };
    const proc = await spawnAppProcess(spec, instanceEnv, [], notify);
    const backend = PublicProxy.backend(port);
    let exited = false;
    proc.onExit(() => {
      exited = true;
      void this.proxy.retire(backend);
    });
    let retiring = false;
    const probes = instanceProbes(spec.health?.probe ?? null, this.publicPort, port);
    const timeoutMs = spec.health?.timeoutMs ?? 1000;
    // The holder already runs as the app's user (uid/gid): its checks run as it, unchanged.
    const ctx: ProbeContext = { cwd: spec.cwd, env: instanceEnv, timeoutMs, asApp: (command) => command };
    return {
      pid: proc.pid,
      onExit: (cb) => proc.onExit(cb),
      signal: (sig) => proc.signal(sig),
      write: (line) => proc.write(line),
      onReady: (cb) =>
        proc.onReady(() => {
          void (async () => {
            for (const probe of probes) {
              for (;;) {
                if (exited || retiring) return;
                if ((await runProbe(probe, ctx)).ok) break;
                await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
              }
            }
            if (exited || retiring) return;
            this.proxy.add(backend);
            cb();
          })();
        }),
      retire: () => {
        retiring = true;
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([
          this.proxy.retire(backend),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, spec.killTimeoutMs);
          }),
        ]).then(() => {
          clearTimeout(timer);
          if (!exited) proc.retire();
        });
      },
    };
  }

  /** The holder stops: no new connection is taken, and idle ones are not sent anywhere. */
  stopping(): void {
    this.proxy.stopAccepting();
  }

  close(): void {
    this.proxy.close();
  }
}

/**
 * What makes one instance ready: listening on its private port, then its health check aimed at
 * that instance (an exec check runs with the instance's environment, so `$PORT` is its port).
 */
export function instanceProbes(health: HealthProbe | null, publicPort: number, port: number): HealthProbe[] {
  const listening: HealthProbe = { type: 'tcp', host: '127.0.0.1', port };
  if (health === null) return [listening];
  if (health.type === 'tcp') return [listening, health.port === publicPort ? listening : health];
  if (health.type === 'http') {
    let url: URL;
    try {
      url = new URL(health.url);
    } catch {
      return [listening, health];
    }
    const given = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (given !== publicPort) return [listening, health];
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return [listening, { type: 'http', url: url.toString() }];
  }
  return [listening, health];
}

/** A port on 127.0.0.1 nothing listens on now (the kernel's pick), for one instance. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}
