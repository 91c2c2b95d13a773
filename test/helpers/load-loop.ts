import http from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Response bodies seen, with how many times each (apps answer with their version/instance). */
  bodies: Map<string, number>;
}

/**
 * A real HTTP load loop for tests: `concurrency` keep-alive connections on 127.0.0.1 sending
 * requests back to back until stop() is called. Every failed request (reset, refused, non-200)
 * counts; nothing is retried.
 */
export function startLoad(port: number, concurrency = 6, maxMs = 30_000): { stop(): Promise<LoadResult>; snapshot(): LoadResult } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failed: 0, errors: {}, bodies: new Map() };
  let running = true;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          if (res.statusCode === 200) {
            result.ok += 1;
            const key = body.trim();
            result.bodies.set(key, (result.bodies.get(key) ?? 0) + 1);
          } else {
            result.failed += 1;
            result.errors[`http ${res.statusCode}`] = (result.errors[`http ${res.statusCode}`] ?? 0) + 1;
          }
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        result.failed += 1;
        const code = err.code ?? err.message;
        result.errors[code] = (result.errors[code] ?? 0) + 1;
        resolve();
      });
    });
  // Bounded: a test that fails half-way never leaves load running.
  const deadline = setTimeout(() => {
    running = false;
  }, maxMs);
  const loop = async (): Promise<void> => {
    while (running) await one();
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    snapshot: () => ({ ...result, errors: { ...result.errors }, bodies: new Map(result.bodies) }),
    async stop() {
      running = false;
      clearTimeout(deadline);
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}

/**
 * One GET on a new connection (no keep-alive: each request can reach another instance); undefined
 * on failure. `localAddress` (127.0.0.2, …) makes it come from another client address.
 */
export function getFresh(port: number, path = '/', localAddress?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
