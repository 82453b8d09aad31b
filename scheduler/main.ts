// PLACEHOLDER: `skiff scheduler` is being written.
import type { FlagSpec } from '../shared/flags.js';

export const summary = 'Binds pending pods to nodes (filter, then score).';
export const flags: FlagSpec[] = [{ name: 'server', help: 'URL of the apiserver', default: 'http://127.0.0.1:8080' }];
export async function main(): Promise<void> {
  console.error('skiff scheduler: not built yet');
  process.exit(2);
}
