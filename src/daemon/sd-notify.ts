import { spawn } from 'node:child_process';

/**
 * Tells systemd the daemon is ready (Type=notify units). Node cannot send on a Unix datagram
 * socket, so systemd's own `systemd-notify` does it; the unit sets NotifyAccess=all so a
 * message from that helper process is accepted, and --pid names the daemon as the main pid.
 */
export function notifySystemdReady(log: (event: string, data: Record<string, unknown>) => void): void {
  if (process.env.NOTIFY_SOCKET === undefined || process.env.NOTIFY_SOCKET === '') return;
  const child = spawn('systemd-notify', ['--ready', `--pid=${process.pid}`], { stdio: 'ignore' });
  child.on('error', (err) => log('sd-notify-failed', { error: err.message }));
  child.on('exit', (code) => {
    if (code !== 0) log('sd-notify-failed', { code });
  });
  // Apps must not inherit the notify socket (they are not the service's main process).
  delete process.env.NOTIFY_SOCKET;
}
