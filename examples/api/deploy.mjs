// Deploy script: start (or update) the apps of the example file, wait until web is online, show them.
//   node examples/api/deploy.mjs
import { connect, TendError } from 'tend-pm';

const tend = await connect();
try {
  const started = await tend.start(new URL('../ecosystem.config.cjs', import.meta.url).pathname);
  for (const app of started) console.log(`${app.name}: ${app.action} (${app.status})`);
  const events = await tend.events({ target: 'web' });
  if ((await tend.list()).find((p) => p.name === 'web')?.status !== 'online') {
    for await (const e of events) if (e.type === 'process:state' && e.info.status === 'online') break;
  } else await events.return();
  console.table((await tend.list()).map(({ name, pid, status, restarts }) => ({ name, pid, status, restarts })));
} catch (err) {
  if (err instanceof TendError) {
    console.error(`tend: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
    process.exitCode = err.exitCode;
  } else throw err;
} finally {
  tend.close();
}
