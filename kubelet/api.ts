// The kubelet's own API for the real (Docker) kubelet: finds a pod's containers from the
// labels every container carries, and serves logs, exec, attach and port-forward through
// kubelet/server. Plain HTTP until the security issue adds TLS and authentication: bind it
// to the node's own address only.
import type { Logger } from 'pino';
import type { DockerRuntime } from './runtime/docker.js';
import { LABELS, POD_INFRA_CONTAINER_NAME, type ContainerStatus } from './runtime/runtime.js';
import { startKubeletServer, type KubeletServer } from './server/server.js';

const newestFirst = (a: ContainerStatus, b: ContainerStatus) => b.createdAt.getTime() - a.createdAt.getTime();

export async function startKubeletApi(opts: { address: string; port: number; runtime: DockerRuntime; dockerHost?: string; log: Logger }): Promise<KubeletServer> {
  const { runtime } = opts;
  const byPod = (namespace: string, pod: string, container: string) =>
    runtime.list({ [LABELS.podNamespace]: namespace, [LABELS.podName]: pod, [LABELS.containerName]: container });
  return startKubeletServer({
    address: opts.address,
    port: opts.port,
    docker: opts.dockerHost ?? runtime.host ?? '',
    log: opts.log,
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
