import type { BootChanges } from './boot-install.js';

const VERB = { write: 'wrote', remove: 'removed', link: 'linked', run: 'ran', handover: 'handed over' } as const;
const WOULD = { write: 'would write', remove: 'would remove', link: 'would link', run: 'would run', handover: 'would hand over' } as const;

/** Every step, one per line, as `tend startup`/`unstartup` did it; then the notices. */
export function printChanges(changes: BootChanges, out: (text: string) => void): void {
  for (const s of changes.steps) {
    const verb = changes.dryRun ? WOULD[s.action] : VERB[s.action];
    out(`  ${verb.padEnd(changes.dryRun ? 15 : 11)} ${s.what}${s.ok ? '' : `  FAILED${s.detail !== undefined ? `: ${s.detail}` : ''}`}`);
  }
  for (const n of changes.notices) out(`  note: ${n}`);
}
