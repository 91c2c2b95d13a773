import { join } from 'node:path';
import { TendError } from '../errors.js';
import { ensureDir } from '../lib/ensure-dir.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { COMMAND_LINE_SECRET, execHasUrlPassword } from '../protocol/secrets.js';
import { renderAppUnit, type AppUnitOptions } from './app-unit.js';

export interface WrittenUnits {
  dir: string;
  units: { app: string; unit: string; file: string; envFile: string | null; timer?: string }[];
  notices: string[];
}

/**
 * Renders every app first (so a bad app writes nothing), then writes each unit (0644) and its
 * secrets file (0600: systemd reads it as root before dropping to User=).
 */
export function writeAppUnits(specs: AppSpec[], o: Omit<AppUnitOptions, 'envFilePath'> & { dir: string }): WrittenUnits {
  const envFilePath = (unitName: string): string => join(o.dir, unitName.replace(/\.service$/, '.env'));
  const rendered = specs.map((spec) => ({ spec, unit: renderAppUnit(spec, { ...o, envFilePath }) }));
  const seen = new Map<string, string>();
  for (const { spec, unit } of rendered) {
    const other = seen.get(unit.unitName);
    if (other !== undefined) {
      throw new TendError('E_USAGE', `apps \`${other}\` and \`${spec.name}\` would both become ${unit.unitName}`, {
        hint: 'Rename one of them (systemd unit names allow only letters, digits and :_.-).',
      });
    }
    seen.set(unit.unitName, spec.name);
  }
  ensureDir(o.dir, 0o755);
  const result: WrittenUnits = { dir: o.dir, units: [], notices: [] };
  for (const { spec, unit } of rendered) {
    const file = join(o.dir, unit.unitName);
    writeFileAtomic(file, unit.unit, 0o644, true);
    let envFile: string | null = null;
    if (unit.envFile !== null) {
      envFile = envFilePath(unit.unitName);
      writeFileAtomic(envFile, unit.envFile, 0o600, true);
    }
    if (unit.skippedEnv.length > 0)
      result.notices.push(`${spec.name}: left out variables systemd cannot carry: ${unit.skippedEnv.join(', ')}`);
    if (execHasUrlPassword(spec.exec)) result.notices.push(`${spec.name}: ${unit.unitName} (0644): ${COMMAND_LINE_SECRET}`);
    if (spec.waitReady) result.notices.push(`${spec.name}: wait_ready is not mapped (systemd would need sd_notify from the app)`);
    let timer: string | undefined;
    if (unit.timer !== null) {
      timer = join(o.dir, unit.unitName.replace(/\.service$/, '.timer'));
      writeFileAtomic(timer, unit.timer, 0o644, true);
    }
    result.units.push({ app: spec.name, unit: unit.unitName, file, envFile, ...(timer === undefined ? {} : { timer }) });
  }
  return result;
}
