// PLACEHOLDER: the job controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function jobController(_ctx: ControllerContext): Controller {
  return { name: 'job', run: () => undefined, stop: () => undefined };
}
