import { TendError } from '../../errors.js';
import type { Command } from '../context.js';

export const unstartup: Command = {
  help: 'tend unstartup (in progress)',
  run() { return Promise.reject(new TendError('E_INTERNAL', '`tend unstartup` is not implemented yet')); },
};
