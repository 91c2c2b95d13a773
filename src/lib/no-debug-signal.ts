/**
 * Imported first by every long-running entry point of tend (daemon, holders, CLI), for its effect:
 * Node opens an inspector on 127.0.0.1:9229 when it receives SIGUSR1, and anyone on the machine
 * who reaches that port runs code as this process's user (root for a root daemon). Node 20 has
 * no `--disable-sigusr1` (it came in 22.14 and 23.7), but a JavaScript SIGUSR1 listener replaces
 * the handler that opens the inspector, on every version. The listener stays for the process's
 * whole life: were it removed, SIGUSR1 would get its default action and kill the process.
 * Code that wants SIGUSR1 (a holder passing it on to its app) adds its own listener beside this.
 */
process.on('SIGUSR1', () => undefined);

export {};
