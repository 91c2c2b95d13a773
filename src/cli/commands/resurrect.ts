import { TendError } from '../../errors.js';
import type { Command } from '../context.js';

export const resurrect: Command = {
  help: 'tend resurrect (in progress)',
  run() { return Promise.reject(new TendError('E_INTERNAL', '`tend resurrect` is not implemented yet')); },
};
