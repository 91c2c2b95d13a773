import { join } from 'node:path';
import type { AppSpec } from '../protocol/app-spec.js';
import { spawnAppProcess } from './app-process.js';
import type { WorkerDriver, WorkerProcess } from './driver.js';
import type { ListenSocket } from './listen-sockets.js';
import { startHandoff, type Handoff } from './connection-handoff.js';

/**
 * Any language on the holder's listening sockets (LISTEN_FDS, see app-process.ts). Without
 * wait_ready the sockets are listening already: the app is ready as soon as it runs
 * (connections wait in the backlog until it accepts them).
 */
export class SocketsDriver implements WorkerDriver {
  readonly kind = 'sockets' as const;
  private spawned = 0;

  constructor(
    private readonly sockets: ListenSocket[],
    private readonly runDir: string,
    private readonly prefix: string,
  ) {}

  async spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess> {
    const notify = join(this.runDir, `${this.prefix}.${instance}.${++this.spawned}.notify`);
    const proc = await spawnAppProcess(spec, env, this.sockets, notify);
    const ports = this.sockets.flatMap((s) => (s.address.kind === 'tcp' ? [s.address.port] : []));
    let handoff: Handoff | null = null;
    proc.onExit((_code, signal) => handoff?.finish(signal === null));
    return {
      pid: proc.pid,
      onExit: (cb) => proc.onExit(cb),
      onReady: (cb) => proc.onReady(cb),
      signal: (sig) => proc.signal(sig),
      write: (line) => proc.write(line),
      retire: () => {
        // Its keep-alive connections continue on the new process instead of being cut.
        handoff ??= startHandoff(proc.pid, ports);
        proc.retire();
      },
    };
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}
