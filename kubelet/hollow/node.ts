// What a hollow node says about itself, as the kubelet's node status setters do
// (pkg/kubelet/nodestatus): capacity and allocatable, addresses, nodeInfo and the four
// conditions, plus its heartbeat Lease in kube-node-lease (pkg/kubelet/nodelease).
// Pure functions of their inputs, so they are tested without an apiserver.
import { arch, release } from 'node:os';
import type { KubeObject } from '../../shared/types.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const KUBELET_VERSION = 'v1.32.0-skiff';
export const CONTAINER_RUNTIME_VERSION = 'hollow://0';
/** A hollow node's only address: loopback, never anything routable. */
export const HOLLOW_NODE_IP = '127.0.0.1';

export interface HollowNodeConfig {
  cpu: string;
  memory: string;
  maxPods: number;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

export const timestamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
export const microTime = (d: Date) => d.toISOString().replace('Z', '000Z');

const goArch = (a: string) => ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' })[a] ?? a;

/** The healthy conditions, with each transition time kept from `previous` when its status did not change. */
export function healthyConditions(now: Date, previous: { type: string; status: string; lastTransitionTime?: string }[] = []): NodeCondition[] {
  const ts = timestamp(now);
  const make = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const prev = previous.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: ts, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : ts };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/**
 * The node's status; `kubeletPort` is where its kubelet API (the Summary API) listens,
 * advertised as daemonEndpoints.kubeletEndpoint.Port on the InternalIP.
 */
export function nodeStatus(name: string, cfg: HollowNodeConfig, now: Date, previous?: NodeCondition[], kubeletPort?: number): KubeObject['status'] {
  const resources = { cpu: cfg.cpu, memory: cfg.memory, pods: String(cfg.maxPods), 'ephemeral-storage': '100Gi' };
  return {
    ...(kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } } : {}),
    capacity: resources,
    allocatable: { ...resources },
    conditions: healthyConditions(now, previous),
    addresses: [
      { type: 'InternalIP', address: HOLLOW_NODE_IP },
      { type: 'Hostname', address: name },
    ],
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: release(),
      osImage: 'skiff hollow node',
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(arch()),
    },
  };
}

export function nodeObject(name: string, cfg: HollowNodeConfig, now: Date, kubeletPort?: number): KubeObject {
  const a = goArch(arch());
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': a,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': a,
        'skiff.dev/hollow': 'true',
      },
    },
    spec: {},
    status: nodeStatus(name, cfg, now, undefined, kubeletPort),
  };
}

export function leaseObject(node: KubeObject, leaseDurationSeconds: number, now: Date): KubeObject {
  const name = node.metadata.name!;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds, renewTime: microTime(now) },
  };
}
