import { TendError } from '../../errors.js';
import type { Command } from '../context.js';

export const exportCommand: Command = {
  help: 'tend export (in progress)',
  run() { return Promise.reject(new TendError('E_INTERNAL', '`tend export` is not implemented yet')); },
};
