import { execFile, execFileSync } from 'node:child_process';
import { errnoName, loadLibc } from '../spawner/libc.js';
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Named pipes made ahead of need. Node has no mkfifo(), so the pool makes spares in the
 * background, in batches, with coreutils' mkfifo in another process (on another core: creating
 * an inode costs 0.5–0.8 ms of kernel time on some ext4 disks), and `provide` renames them into
 * place (rename is atomic and keeps the FIFO). An empty pool makes just the missing ones on the
 * spot with libc's mkfifo(3) (through koffi; without it, a synchronous fork of mkfifo).
 */
/** A burst grows the pool up to this many spares (three per app). */
const MAX_TARGET = 384;

export class FifoPool {
  private spare: string[] = [];
  private filling = false;
  private counter = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
    private target = 24,
  ) {}

  private spareName(): string {
    return join(this.dir, `spare-${process.pid}-${this.counter++}`);
  }

  /** Removes spares a previous daemon left (never handed to an app), then fills the pool. */
  start(): void {
    try {
      for (const name of readdirSync(this.dir)) if (name.startsWith('spare-')) unlinkSync(join(this.dir, name));
    } catch {
      // The pipe folder is created by the daemon before this; nothing to clean otherwise.
    }
    this.refill();
  }

  /** Puts a FIFO at each path (mode 0600). Throws if mkfifo fails. */
  provide(paths: string[]): void {
    const missing: string[] = [];
    for (const path of paths) {
      const spare = this.spare.pop();
      if (spare !== undefined) {
        try {
          renameSync(spare, path);
          continue;
        } catch {
          // The spare vanished (folder cleaned?): make this one on the spot.
        }
      }
      missing.push(path);
    }
    if (missing.length > 0) {
      // Demand outran the pool (many apps started at once): keep a big pool from now on.
      this.target = MAX_TARGET;
      makeFifosNow(missing);
    }
    this.refill();
  }

  private refill(): void {
    if (this.filling || this.closed || this.spare.length >= this.target / 2) return;
    const batch = Array.from({ length: this.target - this.spare.length }, () => this.spareName());
    this.filling = true;
    execFile('mkfifo', ['-m', '600', ...batch], (err) => {
      this.filling = false;
      if (err !== null) {
        this.log('fifo-pool-failed', { error: err.message });
        return;
      }
      if (this.closed) return this.removeAll(batch);
      this.spare.push(...batch);
    });
  }

  /** Daemon shutdown: remove unused spares. Idempotent. */
  close(): void {
    this.closed = true;
    this.removeAll(this.spare);
    this.spare = [];
  }

  private removeAll(paths: string[]): void {
    for (const p of paths) {
      try {
        unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
  }
}

/** mkfifo(path, 0600) for each path, now; throws on the first failure. */
function makeFifosNow(paths: string[]): void {
  const libc = loadLibc();
  if (libc === null) {
    execFileSync('mkfifo', ['-m', '600', ...paths], { stdio: 'ignore' });
    return;
  }
  for (const path of paths) {
    // The umask can only take bits away from 0600.
    if (libc.mkfifo(path, 0o600) !== 0) {
      throw new Error(`mkfifo ${path}: ${errnoName(libc.errno())}`);
    }
  }
}
