// PLACEHOLDER: the daemonset controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function daemonSetController(_ctx: ControllerContext): Controller {
  return { name: 'daemonset', run: () => undefined, stop: () => undefined };
}
