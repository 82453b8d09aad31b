// PLACEHOLDER: the deployment controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function deploymentController(_ctx: ControllerContext): Controller {
  return { name: 'deployment', run: () => undefined, stop: () => undefined };
}
