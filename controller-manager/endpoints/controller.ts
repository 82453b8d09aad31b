// PLACEHOLDER: the endpoints controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function endpointsController(_ctx: ControllerContext): Controller {
  return { name: 'endpoints', run: () => undefined, stop: () => undefined };
}
