/**
 * node:fs/promises on first use. Required at start it costs the daemon ~0.5 MB RSS (it pulls in
 * readline and the stream helpers), and a daemon whose apps watch no files, read no config file
 * and serve no log archive never needs it.
 */
export function fsPromises(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}
