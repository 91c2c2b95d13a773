import { createReadStream, createWriteStream } from 'node:fs';

interface Job {
  plain: string;
  cancelled: boolean;
}

/**
 * gzips archives one at a time, off the write path. Each archive goes to `<archive>.gz.tmp`,
 * is fsynced, renamed to `<archive>.gz`, and only then is the plain archive removed: a crash at
 * any point leaves the plain archive or a complete `.gz` (possibly both), never a torn `.gz`.
 */
export class ArchiveCompressor {
  private readonly jobs: Job[] = [];
  private active: Job | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly onNotice: (message: string) => void) {}

  enqueue(plain: string): void {
    const job: Job = { plain, cancelled: false };
    this.jobs.push(job);
    this.chain = this.chain.then(() => this.run(job));
  }

  /** Forgets an archive that is being deleted (pruned or flushed). */
  cancel(plain: string): void {
    for (const job of this.jobs) if (job.plain === plain) job.cancelled = true;
    if (this.active?.plain === plain) this.active.cancelled = true;
  }

  cancelAll(): void {
    for (const job of this.jobs) job.cancelled = true;
    if (this.active !== null) this.active.cancelled = true;
  }

  /** Resolves when every queued compression has finished (or failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async run(job: Job): Promise<void> {
    this.jobs.splice(this.jobs.indexOf(job), 1);
    if (job.cancelled) return;
    this.active = job;
    const gz = `${job.plain}.gz`;
    const tmp = `${gz}.tmp`;
    try {
      // zlib and streams load on first use: most daemons never compress, and each costs memory.
      const [{ pipeline }, { createGzip }, { open, rename, rm, unlink }] = await Promise.all([
        import('node:stream/promises'),
        import('node:zlib'),
        import('node:fs/promises'),
      ]);
      await pipeline(createReadStream(job.plain), createGzip(), createWriteStream(tmp, { mode: 0o640 }));
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (job.cancelled) {
        await rm(tmp, { force: true });
        return;
      }
      await rename(tmp, gz);
      // Deleted while the rename was in flight: do not resurrect a pruned archive.
      if (job.cancelled) {
        await rm(gz, { force: true });
        return;
      }
      await unlink(job.plain);
    } catch (err) {
      await import('node:fs/promises').then((fsp) => fsp.rm(tmp, { force: true })).catch(() => undefined);
      // A cancelled job's files are being deleted under it: its errors mean nothing.
      if (!job.cancelled) this.onNotice(`could not compress ${job.plain}: ${(err as Error).message}`);
    } finally {
      this.active = null;
    }
  }
}
