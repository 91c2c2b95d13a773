import http from 'node:http';

/** What a constant-rate run measured. */
export interface RateResult {
  sent: number;
  ok: number;
  failed: number;
  /** Latency percentiles in ms, counted from when each request was due (no coordinated omission). */
  p50: number;
  p99: number;
  /** Requests answered with 200 per second, from the first request due to the last answer. */
  servedPerSecond: number;
}

/**
 * Open-loop load: `rate` GETs per second to 127.0.0.1:port for `seconds`, on at most
 * `connections` keep-alive connections. A request is due at a fixed time whatever happened to
 * the previous ones, and its latency counts from then, so a stall shows in the percentiles
 * (wrk2's method) instead of slowing the load down.
 */
export function runAtRate(port: number, rate: number, seconds: number, connections = 16): Promise<RateResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const total = rate * seconds;
  const start = performance.now();
  const TICK_MS = 5;
  return new Promise((resolve) => {
    let finished = 0;
    const done = (): void => {
      finished += 1;
      if (finished < total) return;
      agent.destroy();
      const servedPerSecond = (latencies.length * 1000) / (performance.now() - start);
      latencies.sort((a, b) => a - b);
      const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
      resolve({ sent, ok: latencies.length, failed, p50: at(0.5), p99: at(0.99), servedPerSecond });
    };
    const one = (due: number): void => {
      sent += 1;
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - due);
          else failed += 1;
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed += 1;
        done();
      });
    };
    const timer = setInterval(() => {
      const dueCount = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (sent < dueCount) one(start + (sent * 1000) / rate);
      if (sent >= total) clearInterval(timer);
    }, TICK_MS);
  });
}
