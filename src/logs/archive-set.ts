import { existsSync, unlinkSync } from 'node:fs';
import { ArchiveCompressor } from './archive-compressor.js';
import {
  archivePath,
  listArchivesSync,
  forgetLogDirEntries,
  listCompressionLeftovers,
  logDirEntries,
  scanArchivesSync,
} from './archive-names.js';

export interface ArchiveSetOptions {
  /** The live log file whose archives these are. */
  path: string;
  retain: number;
  compress: boolean;
  onNotice: (message: string) => void;
}

/**
 * The rotated archives of one log file: names them, keeps the newest `retain`, gzips them in
 * the background. Everything but compression is synchronous, so it fits in the write path.
 */
export class ArchiveSet {
  private readonly opts: ArchiveSetOptions;
  private readonly compressor: ArchiveCompressor;
  private lastStamp = 0;

  constructor(opts: ArchiveSetOptions) {
    this.opts = opts;
    this.compressor = new ArchiveCompressor(opts.onNotice);
  }

  /** A name not used yet: a collision moves the stamp forward 1 ms, keeping names in time order. */
  nextPath(now: number): string {
    const file = this.opts.path;
    let stamp = Math.max(now, this.lastStamp + 1);
    while (existsSync(archivePath(file, stamp)) || existsSync(`${archivePath(file, stamp)}.gz`)) stamp += 1;
    this.lastStamp = stamp;
    return archivePath(file, stamp);
  }

  /** A rotation produced `archive`: delete the oldest beyond `retain`, then queue compression. */
  added(archive: string): void {
    forgetLogDirEntries(this.opts.path);
    const archives = listArchivesSync(this.opts.path);
    const excess = archives.length - Math.max(0, this.opts.retain);
    for (const a of archives.slice(0, Math.max(0, excess))) {
      const plain = archivePath(this.opts.path, a.stamp);
      this.compressor.cancel(plain);
      for (const p of [plain, `${plain}.gz`, `${plain}.gz.tmp`]) this.remove(p);
    }
    if (this.opts.compress && existsSync(archive)) this.compressor.enqueue(archive);
  }

  /** After a crash: drop torn `.gz.tmp` files and plain archives already compressed; requeue the rest. */
  recover(): void {
    const entries = logDirEntries(this.opts.path);
    for (const p of listCompressionLeftovers(this.opts.path, entries)) this.remove(p);
    const all = scanArchivesSync(this.opts.path, entries);
    const gz = new Set(all.filter((a) => a.compressed).map((a) => a.stamp));
    for (const a of all) {
      if (a.compressed) continue;
      if (gz.has(a.stamp)) this.remove(a.path);
      else if (this.opts.compress) this.compressor.enqueue(a.path);
    }
  }

  /** Deletes every archive (flush); returns the files deleted. */
  deleteAll(): number {
    forgetLogDirEntries(this.opts.path);
    this.compressor.cancelAll();
    let n = 0;
    for (const a of scanArchivesSync(this.opts.path)) if (this.remove(a.path)) n += 1;
    for (const p of listCompressionLeftovers(this.opts.path)) this.remove(p);
    return n;
  }

  /** Resolves when pending compressions are done. */
  idle(): Promise<void> {
    return this.compressor.idle();
  }

  private remove(p: string): boolean {
    try {
      unlinkSync(p);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onNotice(`could not delete ${p}: ${(err as Error).message}`);
      return false;
    }
  }
}
