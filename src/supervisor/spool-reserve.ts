import { constants as os } from 'node:os';
import type { Libc } from '../spawner/libc.js';

/** FALLOC_FL_KEEP_SIZE: blocks are allocated past the end of the file, its size stays. */
const KEEP_SIZE = 1;
/** The smallest reserve worth asking for when the filesystem is nearly full: one page. */
const PAGE = 4096;

/**
 * The blocks a spool file keeps allocated ahead of its bytes, so that moving output into it never
 * meets a full filesystem. fallocate(2) with FALLOC_FL_KEEP_SIZE allocates them past the end of
 * the file without changing its size (the spool's size still says exactly what left the pipe);
 * ext4, xfs, btrfs and tmpfs support it. Emptying the spool (ftruncate to 0) frees them, so the
 * owner takes the reserve again at once, in the same synchronous step.
 *
 * When the filesystem is too full for the whole reserve, as much as it holds is taken (halving
 * down to one page). Where fallocate is not supported (EOPNOTSUPP: NFSv3, some FUSE filesystems),
 * nothing can be reserved and the room is unbounded, as before reserves existed.
 */
export class SpoolReserve {
  /** Bytes from offset 0 whose blocks are known to be allocated. */
  private reserved = 0;
  private unsupported = false;

  constructor(
    private readonly libc: Pick<Libc, 'fallocate' | 'errno'>,
    private fd: number,
  ) {}

  /** False where the filesystem cannot reserve (fallocate is unsupported). */
  get supported(): boolean {
    return !this.unsupported;
  }

  /** The spool is now another file (renamed over it, or in its other place, maybe on another filesystem). */
  reopened(fd: number): void {
    this.fd = fd;
    this.reserved = 0;
    this.unsupported = false;
  }

  /** The spool was emptied: its blocks went back to the filesystem. */
  freed(): void {
    this.reserved = 0;
  }

  /** Bytes that can be written at offset `at` into reserved blocks (Infinity: cannot reserve here). */
  roomAt(at: number): number {
    return this.unsupported ? Infinity : Math.max(0, this.reserved - at);
  }

  /** Has the blocks of [0, end + ahead) allocated, or as much of `ahead` as the filesystem holds; returns roomAt(end). */
  take(end: number, ahead: number): number {
    if (this.unsupported) return Infinity;
    for (let extra = ahead; extra >= PAGE;) {
      const want = end + extra;
      if (want <= this.reserved) break;
      if (this.libc.fallocate(this.fd, KEEP_SIZE, 0, want) === 0) {
        this.reserved = want;
        break;
      }
      const errno = this.libc.errno();
      if (errno === os.errno.EINTR) continue;
      if (errno === os.errno.EOPNOTSUPP) {
        this.unsupported = true;
        return Infinity;
      }
      // ENOSPC or EDQUOT: try for less. Anything else (EIO, EFBIG): no reserve this time.
      if (errno !== os.errno.ENOSPC && errno !== os.errno.EDQUOT) break;
      extra = Math.floor(extra / 2);
    }
    return this.roomAt(end);
  }
}
