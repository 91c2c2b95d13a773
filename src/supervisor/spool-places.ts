import { closeSync, constants, fstatSync, ftruncateSync, openSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Libc } from '../spawner/libc.js';
import { SpoolReserve } from './spool-reserve.js';

/*
 * Where a stream's spool lives (see FifoSpool): beside its FIFO, or, when that filesystem has no
 * room for the spool's reserve, away in TEND_HOME/spools. The file a json log's open line moves
 * to (`.next`) sits beside the spool it replaces.
 */

/** The spool file beside a stream's FIFO. */
export const spoolPathOf = (fifo: string): string => `${fifo}.spool`;
/** The file a json log's open line moves to before it is renamed over the spool. */
export const nextPathOf = (spool: string): string => `${spool}.next`;
/** Where a stream's spool moves when the FIFO's filesystem has no room: a folder on another one (the home's). */
export const awaySpoolPathOf = (spoolDir: string, fifo: string): string => join(spoolDir, basename(spoolPathOf(fifo)));
/** Every file a stream's spool may leave (for removing an app). */
export const spoolFilesOf = (fifo: string, spoolDir: string | null): string[] =>
  [spoolPathOf(fifo), ...(spoolDir === null ? [] : [awaySpoolPathOf(spoolDir, fifo)])].flatMap((p) => [p, nextPathOf(p)]);

/** The spool beside the FIFO, and where it moves when that filesystem has no room (null: nowhere). */
export interface SpoolPlaces {
  beside: string;
  away: string | null;
}

/** A file's size, 0 when it does not exist. */
export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Gives back the blocks the spool's unused place holds: its reserve (truncating an empty file to
 * its size frees them) and its json line's file (never the spool until renamed). Best effort.
 */
export function release(path: string): void {
  try {
    unlinkSync(nextPathOf(path));
  } catch {
    /* none */
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR);
  } catch {
    return;
  }
  try {
    if (fstatSync(fd).size === 0) ftruncateSync(fd, 0);
  } catch {
    /* kept until the stream ends */
  } finally {
    closeSync(fd);
  }
}

/** Blocks reserved ahead in the file a json log's open line moves to (the log cuts a line at 64 KiB). */
const LINE_RESERVE = 64 * 1024;

/**
 * Opens the file a json log's open line moves to (beside `spool`), emptied, with its blocks
 * reserved. FifoSpool makes it ahead, so that on a full filesystem the line still lands in
 * blocks it owns.
 */
export function openLineFile(spool: string, libc: Pick<Libc, 'fallocate' | 'errno'>): number {
  const fd = openSync(nextPathOf(spool), constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    // Left by a kill between its write and its rename: never renamed, so never the spool.
    if (fstatSync(fd).size > 0) ftruncateSync(fd, 0);
    new SpoolReserve(libc, fd).take(0, LINE_RESERVE);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}
