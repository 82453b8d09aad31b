// PLACEHOLDER: `skiff kubelet` is being written (the hollow mode first).
import type { FlagSpec } from '../shared/flags.js';

export const summary = 'Runs the pods bound to this node.';
export const flags: FlagSpec[] = [{ name: 'server', help: 'URL of the apiserver', default: 'http://127.0.0.1:8080' }];
export async function main(): Promise<void> {
  console.error('skiff kubelet: not built yet');
  process.exit(2);
}
