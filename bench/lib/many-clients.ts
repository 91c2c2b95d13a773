import http from 'node:http';

/**
 * HTTP load from many client addresses (127.0.0.10, .11, … on loopback), which wrk cannot do: it
 * connects from 127.0.0.1 only, and a sticky app sends one address to one instance. `keepAlive`
 * false opens a new connection per request (the cost of handing a connection to a worker).
 * Runs `concurrency` request loops for `seconds`; resolves with requests (and per second) and failures.
 */
export async function manyClientsLoad(
  port: number,
  seconds: number,
  opts: { addresses: number; concurrency: number; keepAlive: boolean },
): Promise<{ rps: number; requests: number; failed: number }> {
  const agents = Array.from(
    { length: opts.addresses },
    (_, k) => new http.Agent({ keepAlive: opts.keepAlive, localAddress: `127.0.0.${10 + k}`, maxSockets: opts.concurrency }),
  );
  let ok = 0;
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  const one = (agent: http.Agent): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok += 1;
          else failed += 1;
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed += 1;
        resolve();
      });
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, i) => {
      for (let n = i; Date.now() < end; n += opts.concurrency) await one(agents[n % opts.addresses] as http.Agent);
    }),
  );
  for (const a of agents) a.destroy();
  return { rps: ok / ((Date.now() - started) / 1000), requests: ok, failed };
}
