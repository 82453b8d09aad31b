// PLACEHOLDER: the statefulset controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function statefulSetController(_ctx: ControllerContext): Controller {
  return { name: 'statefulset', run: () => undefined, stop: () => undefined };
}
