// --kubeconfig: the apiserver URL of the current context, as client-go's loader picks it.
// skiff's apiserver is plain HTTP on loopback, so the server is all a component needs.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string } }[];
  clusters?: { name: string; cluster?: { server?: string } }[];
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

export function serverFromKubeconfig(path: string): string {
  let cfg: Kubeconfig;
  try {
    cfg = parseYaml(readFileSync(path, 'utf8')) as Kubeconfig;
  } catch (err) {
    throw new KubeconfigError(`reading kubeconfig ${path}: ${(err as Error).message}`);
  }
  const contextName = cfg?.['current-context'];
  const context = cfg?.contexts?.find((c) => c.name === contextName) ?? (contextName ? undefined : cfg?.contexts?.[0]);
  if (!context) throw new KubeconfigError(`kubeconfig ${path}: no context ${JSON.stringify(contextName ?? '')}`);
  const cluster = cfg.clusters?.find((c) => c.name === context.context?.cluster);
  const server = cluster?.cluster?.server;
  if (!server) throw new KubeconfigError(`kubeconfig ${path}: cluster ${JSON.stringify(context.context?.cluster ?? '')} of context ${JSON.stringify(context.name)} has no server`);
  return server;
}
