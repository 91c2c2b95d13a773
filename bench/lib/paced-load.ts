import http from 'node:http';

/** What a paced load measured. */
export interface PacedResult {
  sent: number;
  /** Requests not sent because `maxInFlight` were still waiting (the server, or this machine, could not keep up). */
  skipped: number;
  ok: number;
  /** Requests that got an error (reset, refused, timeout) or a status other than 200. */
  failed: number;
  errors: Record<string, number>;
}

/**
 * HTTP GETs to 127.0.0.1:port at a fixed rate (not as fast as the server answers, unlike wrk),
 * over at most `connections` keep-alive connections: the load a reload meets in production, at a
 * rate a shared machine can give both tools alike. Every request counts once; nothing is retried;
 * at most `maxInFlight` wait at once (the rest of a tick's share is skipped, and counted).
 */
export function pacedLoad(
  port: number,
  perSecond: number,
  connections = 16,
  maxInFlight = 4 * connections,
): { stop(): Promise<PacedResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const result: PacedResult = { sent: 0, skipped: 0, ok: 0, failed: 0, errors: {} };
  const inFlight = new Set<Promise<void>>();
  const fail = (why: string): void => {
    result.failed += 1;
    result.errors[why] = (result.errors[why] ?? 0) + 1;
  };
  const one = (): void => {
    // A queue that grows without bound would measure the queue, not the reloads.
    if (inFlight.size >= maxInFlight) {
      result.skipped += 1;
      return;
    }
    result.sent += 1;
    const p = new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) result.ok += 1;
          else fail(`http ${res.statusCode}`);
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        fail(err.code ?? err.message);
        resolve();
      });
    });
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  };
  // A tick every 10 ms sends what the rate owes since the start (timers drift; the count does not).
  const started = Date.now();
  const timer = setInterval(() => {
    const owed = Math.floor(((Date.now() - started) * perSecond) / 1000) - result.sent - result.skipped;
    for (let i = 0; i < owed; i++) one();
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return result;
    },
  };
}
