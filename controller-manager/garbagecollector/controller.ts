// PLACEHOLDER: the garbagecollector controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function garbageCollector(_ctx: ControllerContext): Controller {
  return { name: 'garbagecollector', run: () => undefined, stop: () => undefined };
}
