import { dirname, sep } from 'node:path';

/** System trees: a link into them is never followed (no app's sources live there). */
const SYSTEM_TREES = [
  '/usr',
  '/etc',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/run',
  '/snap',
  '/nix',
];
/** Folders that hold whole systems or every user's files: a link to one of them is not followed. */
const TOO_WIDE = ['/', '/var', '/opt', '/srv', '/home', '/root', '/tmp', '/mnt', '/media'];

const within = (path: string, tree: string): boolean => path === tree || path.startsWith(tree === '/' ? '/' : `${tree}${sep}`);

/**
 * Whether the watcher follows a symbolic link to a folder (`watch_options.followSymlinks`, on by
 * default, as in chokidar): only when its real target is neither a system tree (`vendor -> /usr`
 * would watch all of /usr) nor a folder holding the link itself (`src/again -> .` would loop).
 * Each real folder is also scanned once per walk, whatever the links say.
 */
export function followsLink(linkPath: string, realTarget: string): boolean {
  if (TOO_WIDE.includes(realTarget)) return false;
  if (SYSTEM_TREES.some((t) => within(realTarget, t))) return false;
  return !within(dirname(linkPath), realTarget);
}
