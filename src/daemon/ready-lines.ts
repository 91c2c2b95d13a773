import type { AppSpec } from '../protocol/app-spec.js';
import type { LogRecord } from '../protocol/logs.js';

/**
 * `ready_log_line`: while an app waits to be ready, each line it writes (stdout or stderr, as
 * logged) is matched against its pattern; the first match makes it ready, exactly as
 * `process.send('ready')` does. Lines are watched only while some app waits (LogRouter builds
 * records only for apps someone listens to).
 */
export class ReadyLines {
  private readonly armed = new Map<number, () => void>();
  /** Apps whose line came while still `starting`: ready as soon as they wait. */
  private readonly early = new Set<number>();

  constructor(
    private readonly watch: (id: number, fn: (r: LogRecord) => void) => () => void,
    private readonly waiting: (id: number) => boolean,
    private readonly onReady: (id: number) => void,
  ) {}

  /**
   * Every state change: armed from the spawn (`starting`, so a line written before the app is
   * seen waiting is not missed) while the app waits to be ready; disarmed otherwise.
   */
  sync(id: number, spec: AppSpec | undefined, state: string | undefined): void {
    const pattern = spec?.readyLogLine;
    if (pattern == null || (state !== 'starting' && state !== 'waiting-ready')) {
      this.disarm(id);
      this.early.delete(id);
      return;
    }
    if (state === 'waiting-ready' && this.early.delete(id)) {
      this.disarm(id);
      this.onReady(id);
      return;
    }
    if (this.armed.has(id)) return;
    const re = new RegExp(pattern);
    this.armed.set(
      id,
      this.watch(id, (r) => {
        if (!re.test(r.message)) return;
        this.disarm(id);
        if (this.waiting(id)) this.onReady(id);
        else this.early.add(id);
      }),
    );
  }

  private disarm(id: number): void {
    this.armed.get(id)?.();
    this.armed.delete(id);
  }

  close(): void {
    for (const id of [...this.armed.keys()]) this.disarm(id);
  }
}
