import { createRequire } from 'node:module';
import { constants } from 'node:os';

const require = createRequire(import.meta.url);

type Fn = (...args: unknown[]) => number;

/** The libc calls the native spawner needs, bound once through koffi (an FFI with prebuilt binaries). */
type SpawnArgs = [pid: number[], path: string, actions: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]];

export interface Libc {
  posixSpawn: (...args: SpawnArgs) => number;
  /** The same call on a thread of libuv's pool: only that thread waits for the child's exec. */
  posixSpawnAsync: (...args: [...SpawnArgs, (err: unknown, rc: number) => void]) => void;
  actionsInit: (actions: Buffer) => number;
  actionsDestroy: (actions: Buffer) => number;
  addDup2: (actions: Buffer, fd: number, newFd: number) => number;
  addChdir: (actions: Buffer, dir: string) => number;
  attrInit: (attr: Buffer) => number;
  attrDestroy: (attr: Buffer) => number;
  attrSetFlags: (attr: Buffer, flags: number) => number;
  attrSetSigMask: (attr: Buffer, set: Buffer) => number;
  attrSetSigDefault: (attr: Buffer, set: Buffer) => number;
  sigEmptySet: (set: Buffer) => number;
  sigFillSet: (set: Buffer) => number;
  /** waitpid(pid, &status, options): the pid, 0 (still running) or -1. */
  waitpid: (pid: number, status: number[], options: number) => number;
  /** waitid(P_ALL, 0, info, options): 0 or -1; the pid is at byte 16 of `info` (0 if none). */
  waitid: (idType: number, id: number, info: Buffer, options: number) => number;
  /** Writes the two fds as int32s into `fds` (8 bytes). */
  socketpair: (domain: number, type: number, protocol: number, fds: Buffer) => number;
  close: (fd: number) => number;
  mkfifo: (path: string, mode: number) => number;
  epollCreate: (flags: number) => number;
  /** epoll_ctl(epfd, op, fd, event): `event` is one struct epoll_event (see pipe-poller.ts). */
  epollCtl: (epfd: number, op: number, fd: number, event: Buffer | null) => number;
  /** epoll_wait on a thread of libuv's pool; the callback gets the count (or -1). */
  epollWaitAsync: (epfd: number, events: Buffer, max: number, timeoutMs: number, cb: (err: unknown, n: number) => void) => void;
  /** splice(in, NULL, out, &offset, len, flags): bytes moved, 0 at end-of-file, or -1. `offset` is an int64. */
  splice: (fdIn: number, offIn: null, fdOut: number, offOut: Buffer, len: number, flags: number) => number;
  /** fallocate(fd, mode, offset, len): 0 or -1 (mode 1, FALLOC_FL_KEEP_SIZE, leaves the size as it is). */
  fallocate: (fd: number, mode: number, offset: number, len: number) => number;
  /** The calling thread's errno, read right after a failed call. */
  errno: () => number;
  // The holder's sockets: the NOTIFY_SOCKET relay, TCP_NODELAY, connection handoff.
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  /** fcntl(fd, cmd, int arg) (the variadic argument is always an int here). */
  fcntlInt: (fd: number, cmd: number, arg: number) => number;
  /** setsockopt(fd, level, name, &int, 4). */
  setsockoptInt: (fd: number, level: number, name: number, value: number) => number;
  /** recv(fd, buf, len, flags): the byte count or -1. */
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  /** pidfd_open(pid, 0): a pidfd or -1 (Linux 5.3). */
  pidfdOpen: (pid: number) => number;
  /** pidfd_getfd(pidfd, fd, 0): this process's copy of another process's fd, or -1 (Linux 5.6, ptrace rights). */
  pidfdGetfd: (pidfd: number, fd: number) => number;
}

/** The same numbers on every Linux architecture (the unified syscall table). */
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

let cached: Libc | null | undefined;
let whyNot = '';

/** libc through koffi, or null where it cannot be loaded (another libc, no prebuilt binary). */
export function loadLibc(): Libc | null {
  if (cached !== undefined) return cached;
  try {
    const koffi = require('koffi') as { load(name: string): { func(sig: string): Fn }; errno(): number };
    const lib = koffi.load('libc.so.6');
    const f = (sig: string): Fn => lib.func(sig);
    const spawn = f(
      'int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)',
    ) as Fn & { async: Fn };
    const epollWait = f('int epoll_wait(int epfd, void *events, int max, int timeout)') as Fn & { async: Fn };
    cached = {
      posixSpawn: spawn as unknown as Libc['posixSpawn'],
      posixSpawnAsync: spawn.async.bind(spawn) as unknown as Libc['posixSpawnAsync'],
      actionsInit: f('int posix_spawn_file_actions_init(void *actions)') as Libc['actionsInit'],
      actionsDestroy: f('int posix_spawn_file_actions_destroy(void *actions)') as Libc['actionsDestroy'],
      addDup2: f('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)') as Libc['addDup2'],
      addChdir: f('int posix_spawn_file_actions_addchdir_np(void *actions, const char *dir)') as Libc['addChdir'],
      attrInit: f('int posix_spawnattr_init(void *attr)') as Libc['attrInit'],
      attrDestroy: f('int posix_spawnattr_destroy(void *attr)') as Libc['attrDestroy'],
      attrSetFlags: f('int posix_spawnattr_setflags(void *attr, short flags)') as Libc['attrSetFlags'],
      attrSetSigMask: f('int posix_spawnattr_setsigmask(void *attr, void *set)') as Libc['attrSetSigMask'],
      attrSetSigDefault: f('int posix_spawnattr_setsigdefault(void *attr, void *set)') as Libc['attrSetSigDefault'],
      sigEmptySet: f('int sigemptyset(void *set)') as Libc['sigEmptySet'],
      sigFillSet: f('int sigfillset(void *set)') as Libc['sigFillSet'],
      waitpid: f('int waitpid(int pid, _Out_ int *status, int options)') as Libc['waitpid'],
      waitid: f('int waitid(int idtype, int id, void *info, int options)') as Libc['waitid'],
      socketpair: f('int socketpair(int domain, int type, int protocol, void *fds)') as Libc['socketpair'],
      close: f('int close(int fd)') as Libc['close'],
      mkfifo: f('int mkfifo(const char *path, uint32_t mode)') as Libc['mkfifo'],
      epollCreate: f('int epoll_create1(int flags)') as Libc['epollCreate'],
      epollCtl: f('int epoll_ctl(int epfd, int op, int fd, void *event)') as Libc['epollCtl'],
      epollWaitAsync: epollWait.async.bind(epollWait) as unknown as Libc['epollWaitAsync'],
      splice: f('intptr_t splice(int fdIn, void *offIn, int fdOut, void *offOut, size_t len, uint32_t flags)') as Libc['splice'],
      fallocate: f('int fallocate(int fd, int mode, int64_t offset, int64_t len)') as Libc['fallocate'],
      errno: () => koffi.errno(),
      // The holder's sockets.
      socket: f('int socket(int domain, int type, int protocol)') as Libc['socket'],
      bind: f('int bind(int fd, const void *addr, uint32_t len)') as Libc['bind'],
      fcntlInt: (
        (fcntl: Fn) => (fd: number, cmd: number, arg: number) =>
          fcntl(fd, cmd, 'int', arg)
      )(f('int fcntl(int fd, int cmd, ...)')),
      setsockoptInt: (
        (setsockopt: Fn) => (fd: number, level: number, name: number, value: number) =>
          setsockopt(fd, level, name, [value], 4)
      )(f('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)')),
      recv: f('intptr_t recv(int fd, void *buf, size_t len, int flags)') as Libc['recv'],
      ...((syscall: Fn) => ({
        pidfdOpen: (pid: number) => Number(syscall(SYS_PIDFD_OPEN, 'int', pid, 'int', 0)),
        pidfdGetfd: (pidfd: number, fd: number) => Number(syscall(SYS_PIDFD_GETFD, 'int', pidfd, 'int', fd, 'int', 0)),
      }))(f('long syscall(long number, ...)')),
    };
  } catch (err) {
    whyNot = (err as Error).message.split('\n')[0] ?? 'unknown error';
    cached = null;
  }
  return cached;
}

/** Why loadLibc returned null ('' if it did not). */
export function libcUnavailableReason(): string {
  return whyNot;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** ENOENT for 2, and so on ("errno N" for a number Node does not name). */
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}
