import type { ProcessInfo } from '../protocol/process-info.js';

/**
 * Turns an app's state changes into one event per list row: a pooled app's instances each get
 * theirs (with their own id, pid and status), so a client keyed by row id (monit, the dashboard)
 * sees every instance change; a row that went away (scale-down, delete) gets a last `deleted` one.
 */
export class RowEvents {
  /** App id → the row ids last published. */
  private published = new Map<number, number[]>();

  constructor(private readonly emit: (info: ProcessInfo, deleted: boolean) => void) {}

  changed(appId: number, rows: ProcessInfo[], deleted: boolean): void {
    const before = this.published.get(appId) ?? [];
    const last = rows[0];
    if (deleted) {
      this.published.delete(appId);
      const ids = new Set([...before, ...rows.map((r) => r.id)]);
      for (const id of ids) if (last !== undefined) this.emit({ ...(rows.find((r) => r.id === id) ?? last), id }, true);
      return;
    }
    for (const r of rows) this.emit(r, false);
    const now = new Set(rows.map((r) => r.id));
    for (const id of before)
      if (!now.has(id) && last !== undefined) this.emit({ ...last, id, pid: null, status: 'stopped', uptimeMs: 0 }, true);
    this.published.set(
      appId,
      rows.map((r) => r.id),
    );
  }
}
