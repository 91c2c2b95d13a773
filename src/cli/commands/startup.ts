import { TendError } from '../../errors.js';
import type { Command } from '../context.js';

export const startup: Command = {
  help: 'tend startup (in progress)',
  run() { return Promise.reject(new TendError('E_INTERNAL', '`tend startup` is not implemented yet')); },
};
