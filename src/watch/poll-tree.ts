import { join } from 'node:path';
import { followsLink } from './symlink-rule.js';

/**
 * Polling: every `intervalMs`, walk the trees and compare each file's mtime, size and inode with
 * the previous walk. For network filesystems (`watch_options.usePolling`) and as the fallback
 * when the kernel has no inotify watch left. Asynchronous, one walk at a time, so a big tree
 * slows only its own scan, never the daemon's event loop.
 */
export class PollTree {
  /** node:fs/promises, loaded when a tree is first watched: a daemon whose apps watch nothing never loads it (~0.5 MB RSS). */
  private readonly fs = import('node:fs/promises');
  private previous: Map<string, string> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;
  private closed = false;
  private count = 0;

  constructor(
    private readonly roots: readonly string[],
    private readonly ignored: (path: string) => boolean,
    private readonly intervalMs: number,
    private readonly followSymlinks: boolean,
    private readonly change: (path: string) => void,
  ) {}

  get watched(): number {
    return this.count;
  }

  async start(): Promise<void> {
    this.previous = await this.scan();
    if (this.closed) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.scanning || this.closed) return;
    this.scanning = true;
    try {
      const now = await this.scan();
      const before = this.previous ?? new Map<string, string>();
      this.previous = now;
      if (this.closed) return;
      for (const [path, sig] of now) if (before.get(path) !== sig) this.change(path);
      for (const path of before.keys()) if (!now.has(path)) this.change(path);
    } finally {
      this.scanning = false;
    }
  }

  /**
   * One walk. Links to folders are followed by the same rule as inotify's (followsLink), and each
   * real folder (device and inode) is read once: a link loop cannot make the walk endless.
   */
  private async scan(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const folders = new Set<string>();
    const visit = async (path: string, depth: number, isRoot: boolean): Promise<void> => {
      if (this.closed || depth > 64 || this.ignored(path)) return;
      const link = await (await this.fs).lstat(path).catch(() => null);
      if (link === null) return;
      if (link.isSymbolicLink() && !isRoot) {
        const real = this.followSymlinks ? await (await this.fs).realpath(path).catch(() => null) : null;
        const target = real === null ? null : await (await this.fs).stat(path).catch(() => null);
        if (real === null || target === null || (target.isDirectory() && !followsLink(path, real))) {
          // Not followed: the link itself is what is compared.
          out.set(path, `${link.mtimeMs}:${link.size}:${link.ino}`);
          return;
        }
      }
      const st = link.isSymbolicLink() ? await (await this.fs).stat(path).catch(() => null) : link;
      if (st === null) return;
      if (!st.isDirectory()) {
        out.set(path, `${st.mtimeMs}:${st.size}:${st.ino}`);
        return;
      }
      const id = `${st.dev}:${st.ino}`;
      if (folders.has(id)) return;
      folders.add(id);
      const names = await (await this.fs).readdir(path).catch(() => [] as string[]);
      for (const n of names) await visit(join(path, n), depth + 1, false);
    };
    for (const r of this.roots) await visit(r, 0, true);
    this.count = out.size;
    return out;
  }
}
