// `skiff kubelet`: the node agent. By default it runs the pods bound to its node in a real
// Docker engine (kubelet/agent.ts). --hollow simulates nodes instead: they register,
// heartbeat and report their pods Running without any container, as Kubernetes' kubemark
// and KWOK do (for tests and benchmarks of the control plane).
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Client } from '../shared/client.js';
import type { FlagSpec } from '../shared/flags.js';
import { connectionFlags, connectionOrExit } from '../shared/kubeconfig.js';
import { rootLogger } from '../shared/log.js';
import { Kubelet } from './agent.js';
import { HollowKubelet } from './hollow.js';
import { startKubeletApi } from './api.js';
import { PodNetwork } from './network/pod-network.js';
import { DockerRuntime } from './runtime/docker.js';
import { SERVING_FLAGS, servingFromFlags } from './server/options.js';
import type { KubeletServing } from './server/server.js';
import { watchControlFile } from './hollow/control.js';

export const summary = 'Runs the pods bound to this node in Docker (--hollow: simulated nodes, no containers).';

export const flags: FlagSpec[] = [
  ...connectionFlags(),
  { name: 'hollow', help: 'Simulate the node(s): register, heartbeat and report bound pods Running without Docker', default: false, type: 'boolean' },
  { name: 'node-name', help: 'Name of the node (the prefix of the names with --nodes)', default: hostname() },
  { name: 'hostname-override', help: 'Name of the node, if not --node-name (as Kubernetes\' kubelet)', type: 'string' },
  { name: 'docker-host', help: 'Docker engine: unix:///path/to/docker.sock or tcp://HOST:2375 (default: DOCKER_HOST, else unix:///var/run/docker.sock)', type: 'string' },
  { name: 'root-dir', help: 'Directory for the kubelet\'s files (pod volumes)', default: '/var/lib/skiff/kubelet' },
  { name: 'node-ip', help: 'The node\'s InternalIP (the pods\' hostIP)', default: '127.0.0.1' },
  { name: 'pod-manifest-path', help: 'Directory of static pod manifests (YAML or JSON) this kubelet runs itself and mirrors in the apiserver', type: 'string' },
  { name: 'file-check-frequency', help: 'Seconds between reads of --pod-manifest-path besides its change notifications', default: 5 },
  { name: 'port', help: 'Port of the kubelet API (logs, exec, port-forward, stats; HTTPS, see --tls-cert-file and the auth flags) on --node-ip; 0 picks a free one', default: 10250 },
  ...SERVING_FLAGS,
  { name: 'pod-cidr', help: 'The pods\' range on this node until the Node has a spec.podCIDR (standalone use; the controller-manager\'s node IPAM assigns one otherwise)', type: 'string' },
  { name: 'cluster-cidr', help: 'The range of every node\'s podCIDR: routed locally (to other nodes, else unreachable)', default: '10.244.0.0/16' },
  { name: 'service-cluster-ip-range', help: 'The ClusterIP range (pod traffic to it is never masqueraded)', default: '10.96.0.0/16' },
  { name: 'pod-bridge', help: 'The Linux bridge the pods of this node are attached to (a Docker bridge network on the podCIDR)', default: 'skiff0' },
  { name: 'cluster-dns', help: 'Comma-separated IPs of the cluster DNS, the nameserver of dnsPolicy ClusterFirst pods (empty: those pods get the node\'s resolv.conf)', default: '' },
  { name: 'cluster-domain', help: 'The cluster\'s DNS domain, in the pods\' search path', default: 'cluster.local' },
  { name: 'resolv-conf', help: 'The node\'s resolver file, the base of dnsPolicy Default pods and of the search path', default: '/etc/resolv.conf' },
  { name: 'pod-infra-container-image', help: 'The pause image of the pod sandboxes (present locally, or pulled with --pull-images)', default: 'skiff/pause:3.10' },
  { name: 'pull-images', help: 'Pull missing images through the Docker engine. Only for an engine whose one way out is the cluster\'s registry (skiff up --nodes N); off, nothing is ever pulled', default: false, type: 'boolean' },
  { name: 'crash-loop-backoff-base', help: 'Seconds of the first container restart back-off (doubling; CrashLoopBackOff)', default: 10 },
  { name: 'crash-loop-backoff-max', help: 'Seconds the container restart back-off grows to', default: 300 },
  { name: 'sync-frequency', help: 'Seconds between resyncs of every pod and housekeeping', default: 60 },
  { name: 'node-status-report-frequency', help: 'Seconds after which the node status is posted even when unchanged', default: 60 },
  { name: 'nodes', help: 'Hollow mode: simulate N nodes named NODE-NAME-0 … NODE-NAME-(N-1) in this process', type: 'number' },
  { name: 'lease-duration', help: 'Seconds of the node Lease; it is renewed every quarter of it', default: 40 },
  { name: 'node-status-update-frequency', help: 'Seconds between node status heartbeats', default: 10 },
  { name: 'cpu', help: 'Hollow mode: cpu capacity of each node', default: '4' },
  { name: 'memory', help: 'Hollow mode: memory capacity of each node', default: '8Gi' },
  { name: 'max-pods', help: 'Pod capacity of each node', default: 110 },
  {
    name: 'kubelet-port-base',
    help: 'Hollow mode: port of the kubelet API (GET /stats/summary, /healthz) on 127.0.0.1; with --nodes N, node i listens on base+i; 0 picks free ports. Advertised in each Node\'s daemonEndpoints',
    default: 10250,
  },
  { name: 'fallback-pod-cidr', help: 'Hollow mode: pod IPs for a node that has no spec.podCIDR yet', default: '10.255.0.0/16' },
  {
    name: 'control-file',
    help: 'Hollow mode, for tests: a file listing (one per line, * for all) the nodes that must play dead (no lease, status or pod updates); polled. SIGUSR1 toggles all nodes dead/alive',
    type: 'string',
  },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('kubelet', String(f.v));
  if (!f.hollow) return runKubelet(f, log);
  const base = String(f['node-name']);
  const count = f.nodes === undefined ? undefined : Number(f.nodes);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    console.error(`skiff kubelet: --nodes needs a positive integer, got ${String(f.nodes)}`);
    process.exit(2);
  }
  const nodeNames = count === undefined ? [base] : Array.from({ length: count }, (_, i) => `${base}-${i}`);
  const portBase = Number(f['kubelet-port-base']);
  if (!Number.isInteger(portBase) || portBase < 0 || (portBase > 0 && portBase + nodeNames.length - 1 > 65535)) {
    console.error(`skiff kubelet: --kubelet-port-base needs a port such that base+${nodeNames.length - 1} <= 65535 (or 0), got ${String(f['kubelet-port-base'])}`);
    process.exit(2);
  }
  const kubelet = new HollowKubelet({
    client: new Client(connectionOrExit(f, 'kubelet'), 'skiff-kubelet'),
    log,
    nodeNames,
    leaseDurationSeconds: Number(f['lease-duration']),
    nodeStatusUpdateFrequencySeconds: Number(f['node-status-update-frequency']),
    cpu: String(f.cpu),
    memory: String(f.memory),
    maxPods: Number(f['max-pods']),
    fallbackPodCIDR: String(f['fallback-pod-cidr']),
    kubeletPortBase: portBase,
  });
  let fileStopped = new Set<string>();
  let allStopped = false;
  const apply = () => kubelet.setStopped(allStopped ? nodeNames : fileStopped);
  const stopWatching = f['control-file']
    ? watchControlFile(
        String(f['control-file']),
        nodeNames,
        (stopped) => {
          fileStopped = stopped;
          apply();
        },
        (err) => log.warn({ err }, 'could not read the control file'),
      )
    : undefined;
  process.on('SIGUSR1', () => {
    allStopped = !allStopped;
    log.warn({ stopped: allStopped }, 'SIGUSR1: toggled lease and status renewal of every node');
    apply();
  });
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    stopWatching?.();
    kubelet.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await kubelet.start();
}

async function runKubelet(f: Record<string, string | number | boolean>, log: ReturnType<typeof rootLogger>): Promise<void> {
  const nodeName = String(f['hostname-override'] ?? f['node-name']);
  const base = Number(f['crash-loop-backoff-base']);
  const max = Number(f['crash-loop-backoff-max']);
  if (!(base > 0) || !(max >= base)) {
    console.error(`skiff kubelet: --crash-loop-backoff-base must be > 0 and <= --crash-loop-backoff-max, got ${base} and ${max}`);
    process.exit(2);
  }
  const dockerHost = f['docker-host'] === undefined ? undefined : String(f['docker-host']);
  const runtime = new DockerRuntime({ host: dockerHost, pauseImage: String(f['pod-infra-container-image']), pull: Boolean(f['pull-images']) });
  const client = new Client(connectionOrExit(f, 'kubelet'), 'skiff-kubelet');
  const network = new PodNetwork({
    client,
    log: log.child({ component: 'pod-network' }),
    nodeName,
    dockerHost: runtime.host,
    clusterCIDR: String(f['cluster-cidr']),
    serviceCIDR: String(f['service-cluster-ip-range']),
    bridge: String(f['pod-bridge']),
    podCIDR: f['pod-cidr'] === undefined ? undefined : String(f['pod-cidr']),
    // Routes and iptables rules belong to the host the engine runs on: only when it is this one.
    manageHost: runtime.host.startsWith('unix://'),
  });
  const resolvConf = await readFile(String(f['resolv-conf']), 'utf8').catch((err: Error) => {
    log.warn({ err: err.message }, 'cannot read --resolv-conf; dnsPolicy Default pods get an empty resolv.conf');
    return '';
  });
  const clusterDNS = String(f['cluster-dns']).split(',').map((x) => x.trim()).filter(Boolean);
  if (!clusterDNS.length) log.warn('no --cluster-dns: dnsPolicy ClusterFirst pods get the node\'s resolv.conf');
  // The kubelet API (logs, exec, attach, port-forward, stats/summary) on the node's own address, over
  // TLS for authenticated, authorized callers; its port is advertised in the Node's daemonEndpoints
  // for the apiserver's proxy.
  let serving: KubeletServing;
  try {
    serving = servingFromFlags(f, { client, nodeName, nodeIP: String(f['node-ip']), rootDir: String(f['root-dir']), log });
  } catch (err) {
    log.fatal({ err }, `invalid configuration: ${(err as Error).message}`);
    process.exit(2);
  }
  const api = await startKubeletApi({ address: String(f['node-ip']), port: Number(f.port), runtime, nodeName, serving, log });
  const kubelet = new Kubelet({
    client,
    runtime,
    network,
    dns: { clusterDNS, clusterDomain: String(f['cluster-domain']), hostResolvConf: resolvConf },
    podCIDR: f['pod-cidr'] === undefined ? undefined : String(f['pod-cidr']),
    podManifestPath: f['pod-manifest-path'] === undefined ? undefined : String(f['pod-manifest-path']),
    fileCheckFrequencySeconds: Number(f['file-check-frequency']),
    kubeletPort: api.port,
    log,
    nodeName,
    nodeIP: String(f['node-ip']),
    rootDir: String(f['root-dir']),
    maxPods: Number(f['max-pods']),
    leaseDurationSeconds: Number(f['lease-duration']),
    nodeStatusUpdateFrequencySeconds: Number(f['node-status-update-frequency']),
    nodeStatusReportFrequencySeconds: Number(f['node-status-report-frequency']),
    syncFrequencySeconds: Number(f['sync-frequency']),
    crashLoopBackoffBaseSeconds: base,
    crashLoopBackoffMaxSeconds: max,
  });
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down (pods keep running; a new kubelet adopts them)');
    kubelet.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await kubelet.start();
}
