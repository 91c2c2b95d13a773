// The API from TypeScript: every call is typed with the protocol's types.
import { connect, isTendError, type ProcessInfo, type ProcessStateEvent } from 'tend-pm';

export async function restartIfErrored(name: string): Promise<ProcessInfo | null> {
  const tend = await connect();
  try {
    const [app] = await tend.describe(name);
    if (app === undefined || app.status !== 'errored') return null;
    const [restarted] = await tend.restart(app.id);
    return restarted ?? null;
  } catch (err) {
    if (isTendError(err) && err.code === 'E_APP_NOT_FOUND') return null;
    throw err;
  } finally {
    tend.close();
  }
}

export async function nextChange(name: string): Promise<ProcessStateEvent | undefined> {
  const tend = await connect();
  try {
    for await (const e of await tend.events({ target: name })) if (e.type === 'process:state') return e;
    return undefined;
  } finally {
    tend.close();
  }
}
