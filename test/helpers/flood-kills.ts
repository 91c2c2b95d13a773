import { readAllLogText } from './log-files.js';
import { isAlive, waitFor, type TendHome } from './tend.js';

/**
 * Kills the daemon (SIGKILL) up to `times` times during a flood into `file`: each time once the
 * daemon came back and wrote to it again, after a random delay below `maxDelayMs`, and then brings
 * a new daemon up. Stops early when `ended` says the flood is over. Returns the kills made.
 */
export async function killDuringFlood(
  t: TendHome,
  file: string,
  ended: (text: string) => boolean,
  times: number,
  maxDelayMs: number,
): Promise<number> {
  let kills = 0;
  for (let i = 0; i < times; i++) {
    const seen = readAllLogText(file).length;
    // A loaded machine may write slower than the kills come: then the flood ends first.
    await waitFor(
      () => {
        const text = readAllLogText(file);
        return text.length > seen || ended(text);
      },
      'the daemon to write again',
      60_000,
      50,
    );
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * maxDelayMs)));
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    if (ended(readAllLogText(file))) break;
    process.kill(daemon, 'SIGKILL');
    kills += 1;
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    await t.list();
  }
  return kills;
}
