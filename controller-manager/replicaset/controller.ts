// PLACEHOLDER: the replicaset controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function replicaSetController(_ctx: ControllerContext): Controller {
  return { name: 'replicaset', run: () => undefined, stop: () => undefined };
}
