import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { TendError, usageError } from '../errors.js';
import { defaultHome } from '../store/paths.js';

/** Where and as whom the boot unit lives: shared by `tend startup` and `tend unstartup`. */
export interface BootTarget {
  mode: 'system' | 'rootless';
  user: string;
  uid: number;
  userHome: string;
  /** TEND_HOME of the daemon the unit runs. */
  home: string;
  unitName: string;
  unitFile: string;
  /** RuntimeDirectory= name: relative to /run (system) or $XDG_RUNTIME_DIR (rootless). */
  runtimeDir: string;
  /** Rootless only: the user manager's runtime dir, which `systemctl --user` needs. */
  xdgRuntimeDir: string | null;
}

export interface BootTargetRequest {
  user: string | undefined;
  rootless: boolean;
  env: NodeJS.ProcessEnv;
  /** The caller's uid (injected for tests). */
  uid: number;
}

interface Account {
  name: string;
  uid: number;
  home: string;
}

/** getent, not /etc/passwd: the account may come from LDAP or sssd. */
function lookupAccount(name: string): Account {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw usageError(`there is no user named \`${name}\` on this system`, 'Pass an existing account to --user (see `getent passwd`).');
  }
  const f = line.split(':');
  return { name: f[0] ?? name, uid: Number(f[2]), home: f[5] ?? '/' };
}

function currentAccount(): Account {
  const me = userInfo();
  return { name: me.username, uid: me.uid, home: me.homedir };
}

/**
 * Root installs a system unit (tend-<user>.service in /etc/systemd/system), for itself or, with
 * --user, for another account; anyone else gets a rootless unit (tend.service in
 * ~/.config/systemd/user) run by their own user manager.
 */
export function resolveBootTarget(req: BootTargetRequest): BootTarget {
  const isRoot = req.uid === 0;
  if (req.user !== undefined && req.rootless) {
    throw usageError(
      '--user and --rootless do not go together',
      '--user NAME installs a system unit running as NAME (needs root); --rootless a unit of your own user manager.',
    );
  }
  if (req.rootless && isRoot) {
    throw usageError(
      '--rootless is for unprivileged users; as root, `tend startup` installs a system unit',
      'Use `tend startup --user NAME` to run tend as another account.',
    );
  }
  const mode = isRoot ? 'system' : 'rootless';
  if (mode === 'rootless' && req.user !== undefined) {
    const me = currentAccount().name;
    throw new TendError('E_USAGE', `a system unit for \`${req.user}\` needs root`, {
      hint: `Run: sudo env PATH="$PATH" ${process.argv[1] ?? 'tend'} startup --user ${req.user}   (or, for yourself without root: tend startup${req.user === me ? '' : ' --rootless'})`,
    });
  }
  const account = req.user !== undefined ? lookupAccount(req.user) : currentAccount();
  const envHome = req.env.TEND_HOME;
  const home = envHome !== undefined && envHome !== '' ? envHome : defaultHome(account.home);
  if (mode === 'system') {
    const unitName = `tend-${account.name.replace(/[^A-Za-z0-9:_.-]/g, '_')}.service`;
    return {
      mode,
      user: account.name,
      uid: account.uid,
      userHome: account.home,
      home,
      unitName,
      unitFile: join('/etc/systemd/system', unitName),
      runtimeDir: unitName.replace(/\.service$/, ''),
      xdgRuntimeDir: null,
    };
  }
  const configHome =
    req.env.XDG_CONFIG_HOME !== undefined && req.env.XDG_CONFIG_HOME !== '' ? req.env.XDG_CONFIG_HOME : join(account.home, '.config');
  const xdg =
    req.env.XDG_RUNTIME_DIR !== undefined && req.env.XDG_RUNTIME_DIR !== '' ? req.env.XDG_RUNTIME_DIR : `/run/user/${account.uid}`;
  return {
    mode,
    user: account.name,
    uid: account.uid,
    userHome: account.home,
    home,
    unitName: 'tend.service',
    unitFile: join(configHome, 'systemd', 'user', 'tend.service'),
    runtimeDir: 'tend',
    xdgRuntimeDir: xdg,
  };
}
