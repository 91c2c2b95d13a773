import { TendError } from '../../errors.js';
import type { Command } from '../context.js';

export const save: Command = {
  help: 'tend save (in progress)',
  run() { return Promise.reject(new TendError('E_INTERNAL', '`tend save` is not implemented yet')); },
};
