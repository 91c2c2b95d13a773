import { renderConfigHelp } from '../../config/help.js';
import type { Command } from '../context.js';

/** `tend help config`: every app setting, from the schema. Needs no daemon. */
export const helpConfig: Command = {
  help: 'Synopsis\n  tend help config\n\nNotes\n  Prints every app setting: key, type, default, unit, aliases, status and description.',
  async run(): Promise<number> {
    process.stdout.write(`${renderConfigHelp({ width: process.stdout.columns ?? 100 })}\n`);
    return 0;
  },
};
