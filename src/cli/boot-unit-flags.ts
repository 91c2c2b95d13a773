import { resolveBootTarget, type BootTarget } from '../boot/boot-target.js';
import type { CliContext, Options } from './context.js';

/** The flags of `tend startup` and `tend unstartup`: which unit they install or remove. */
export const BOOT_UNIT_OPTIONS = {
  user: { type: 'string' },
  rootless: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} satisfies Options;

/** The unit those flags name, for the user running the command. */
export function bootUnitTarget(values: { user?: string | undefined; rootless?: boolean | undefined }, ctx: CliContext): BootTarget {
  return resolveBootTarget({ user: values.user, rootless: values.rootless === true, env: ctx.env, uid: process.getuid?.() ?? 0 });
}
