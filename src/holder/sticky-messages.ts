/**
 * Messages between a sticky app's workers and its holder (the node:cluster primary), over the
 * workers' IPC channel. A worker's TCP listen asks the primary for the address (`listen`); the
 * primary answers with the address it listens on (`listening`) or the errno of its failure, then
 * hands each accepted connection to one worker (`conn`, with the socket), which answers whether
 * it took it (`ack`). `close`: the worker's server stopped listening on that address.
 */
export type StickyToPrimary =
  | {
      tend: 'sticky-listen';
      id: number;
      key: string;
      address: string | null;
      port: number;
      addressType: number;
      flags: number;
      backlog: number;
    }
  | { tend: 'sticky-close'; key: string }
  | { tend: 'sticky-ack'; seq: number; accepted: boolean };

export type StickyToWorker =
  | { tend: 'sticky-listening'; id: number; errno: number; sockname: StickyAddress | null }
  | { tend: 'sticky-conn'; key: string; seq: number };

export interface StickyAddress {
  address: string;
  family: string;
  port: number;
}

/** The environment variable that tells worker-hook.ts the app is sticky (removed before the app runs). */
export const STICKY_ENV = 'TEND_STICKY';

/** A message of the sticky protocol (`tend: 'sticky-…'`), whichever side sent it. */
export function stickyMessage<T extends { tend: string }>(msg: unknown): T | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const tag = (msg as { tend?: unknown }).tend;
  return typeof tag === 'string' && tag.startsWith('sticky-') ? (msg as T) : null;
}
