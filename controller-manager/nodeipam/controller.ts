// PLACEHOLDER: the nodeipam controller is being written; until then it does nothing.
import type { Controller, ControllerContext } from '../context.js';

export function nodeIpamController(_ctx: ControllerContext): Controller {
  return { name: 'nodeipam', run: () => undefined, stop: () => undefined };
}
