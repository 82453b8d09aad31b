// PLACEHOLDER: the nodelifecycle controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function nodeLifecycleController(_ctx: ControllerContext): Controller {
  return { name: 'nodelifecycle', run: () => undefined, stop: () => undefined };
}
