import { spawn, type ChildProcess } from 'node:child_process';
import { unlinkSync } from 'node:fs';

/**
 * systemd's readiness protocol for any language: the app sends `READY=1` as a datagram to the
 * AF_UNIX socket named by NOTIFY_SOCKET (`systemd-notify --ready`, python `sdnotify`). Node
 * cannot open AF_UNIX datagram sockets, so a tiny perl (Essential on Debian, with its core
 * Socket module) binds one per new process and relays each datagram as a line; one socket per
 * process tells the holder which process spoke without SCM_CREDENTIALS.
 */
const RELAY = `
use Socket;
my $p = shift;
unlink $p;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\\n";
bind($s, pack_sockaddr_un($p)) or die "bind $p: $!\\n";
$| = 1;
print "bound\\n";
while (defined(recv($s, my $m, 65536, 0))) { print "$_\\n" for split /\\n/, $m; }
`;

export interface NotifyRelay {
  path: string;
  close(): void;
}

/** Binds the socket, then calls `onMessage` for each line (`READY=1`, `STATUS=…`). Resolves once bound. */
export function startNotifyRelay(path: string, onMessage: (line: string) => void): Promise<NotifyRelay> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('perl', ['-e', RELAY, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err as Error);
      return;
    }
    let bound = false;
    let buf = '';
    let errText = '';
    const close = (): void => {
      child.kill('SIGKILL');
      try { unlinkSync(path); } catch { /* gone */ }
    };
    child.stderr?.on('data', (d: Buffer) => { errText += d.toString(); });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!bound && line === 'bound') {
          bound = true;
          resolve({ path, close });
        } else if (bound) onMessage(line);
        nl = buf.indexOf('\n');
      }
    });
    child.on('error', (err) => { if (!bound) reject(new Error(`cannot start the NOTIFY_SOCKET relay (perl): ${err.message}`)); });
    child.on('exit', () => { if (!bound) reject(new Error(`the NOTIFY_SOCKET relay failed: ${errText.trim() || 'exited'}`)); });
  });
}
