// The kubelet's own API for the real (Docker) kubelet: finds a pod's containers from the
// labels every container carries, and serves logs, exec, attach and port-forward through
// kubelet/server, and the Summary API from Docker's stats (kubelet/stats.ts); over TLS, to
// the callers `serving` authenticates and authorizes.
import Docker from 'dockerode';
import type { Logger } from 'pino';
import { NODE_LABEL } from './container-spec.js';
import { dockerOptions, type DockerRuntime } from './runtime/docker.js';
import { LABELS, POD_INFRA_CONTAINER_NAME, type ContainerStatus } from './runtime/runtime.js';
import { startKubeletServer, type KubeletServer, type KubeletServing } from './server/server.js';
import { StatsProvider } from './stats.js';

const newestFirst = (a: ContainerStatus, b: ContainerStatus) => b.createdAt.getTime() - a.createdAt.getTime();

export async function startKubeletApi(opts: { address: string; port: number; runtime: DockerRuntime; nodeName: string; dockerHost?: string; serving: KubeletServing; log: Logger }): Promise<KubeletServer> {
  const { runtime, nodeName } = opts;
  // Only this node's containers: several kubelets may share one Docker engine.
  const byPod = (namespace: string, pod: string, container: string) =>
    runtime.list({ [NODE_LABEL]: nodeName, [LABELS.podNamespace]: namespace, [LABELS.podName]: pod, [LABELS.containerName]: container });
  const docker = new Docker(dockerOptions(opts.dockerHost ?? runtime.host));
  const stats = new StatsProvider({ docker, nodeName, log: opts.log });
  return startKubeletServer({
    address: opts.address,
    port: opts.port,
    docker,
    log: opts.log,
    serving: opts.serving,
    stats: () => stats.summary(),
    // The current instance is the newest; --previous is the one before it, as `kubectl logs -p`.
    findContainer: async (namespace, pod, container, previous) => {
      const all = (await byPod(namespace, pod, container)).sort(newestFirst);
      return (previous ? all[1] : all[0])?.id;
    },
    findSandbox: async (namespace, pod) => {
      const all = (await byPod(namespace, pod, POD_INFRA_CONTAINER_NAME)).filter((c) => c.state === 'running').sort(newestFirst);
      return all[0]?.id;
    },
  });
}
