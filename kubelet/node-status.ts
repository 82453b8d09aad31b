// What a real node says about itself (the kubelet's nodestatus setters): capacity and
// allocatable from the machine (CPU cores, memory, pods), addresses (InternalIP from
// --node-ip, Hostname), nodeInfo (kernel, OS image, docker://VERSION, kubelet version) and
// the conditions Ready / MemoryPressure / DiskPressure / PIDPressure from observed facts.
// Pure functions of their inputs; gatherFacts() reads the machine.
import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, release, totalmem } from 'node:os';
import type { KubeObject } from '../shared/types.js';
import { KUBELET_VERSION, timestamp } from './hollow/node.js';

export interface NodeFacts {
  cpuCores: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  /** Fraction of the root dir's filesystem available (0..1). */
  diskAvailableFraction: number;
  /** Processes running vs the kernel's pid_max. */
  pids: number;
  pidMax: number;
  osImage: string;
  kernelVersion: string;
  runtimeVersion: string;
  /** Why the runtime is not usable (Ready=False), if it is not. */
  runtimeError?: string;
}

export interface NodeConfig {
  name: string;
  nodeIP: string;
  maxPods: number;
  kubeletPort?: number;
  /** --pod-cidr: the Node is registered with it (node IPAM then keeps it). */
  podCIDR?: string;
}

/** Eviction thresholds the conditions compare against (Kubernetes' defaults for eviction-hard). */
const MEMORY_AVAILABLE_MIN = 100 * 1024 * 1024;
const NODEFS_AVAILABLE_MIN = 0.1;
const PID_AVAILABLE_MIN = 0.1;

const goArch = (a: string) => ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' })[a] ?? a;

export async function gatherFacts(rootDir: string, runtimeVersion: () => Promise<string>): Promise<NodeFacts> {
  let runtime = 'docker://unknown';
  let runtimeError: string | undefined;
  try {
    runtime = await runtimeVersion();
  } catch (err) {
    runtimeError = `container runtime is down: ${err instanceof Error ? err.message : String(err)}`;
  }
  const fs = await statfs(rootDir).catch(() => undefined);
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const pidMax = Number((await readFile('/proc/sys/kernel/pid_max', 'utf8').catch(() => '4194304')).trim()) || 4194304;
  const loadavg = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  const pids = Number(/ \d+\/(\d+) /.exec(loadavg)?.[1] ?? 0);
  return {
    cpuCores: cpus().length,
    memoryBytes: totalmem(),
    memoryAvailableBytes: freemem(),
    diskAvailableFraction: fs ? fs.bavail / Math.max(1, fs.blocks) : 1,
    pids,
    pidMax,
    osImage: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux',
    kernelVersion: release(),
    runtimeVersion: runtime,
    ...(runtimeError ? { runtimeError } : {}),
  };
}

type Prev = { type: string; status: string; lastTransitionTime?: string }[];

export function nodeConditions(facts: NodeFacts, now: Date, previous: Prev = []): KubeObject['status'][] {
  const ts = timestamp(now);
  const make = (type: string, ok: boolean, yes: [string, string], no: [string, string]) => {
    const status = ok ? 'True' : 'False';
    const [reason, message] = ok ? yes : no;
    const prev = previous.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: ts, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : ts };
  };
  return [
    make('MemoryPressure', facts.memoryAvailableBytes < MEMORY_AVAILABLE_MIN, ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'], ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available']),
    make('DiskPressure', facts.diskAvailableFraction < NODEFS_AVAILABLE_MIN, ['KubeletHasDiskPressure', 'kubelet has disk pressure'], ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure']),
    make('PIDPressure', facts.pidMax - facts.pids < facts.pidMax * PID_AVAILABLE_MIN, ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'], ['KubeletHasSufficientPID', 'kubelet has sufficient PID available']),
    make('Ready', !facts.runtimeError, ['KubeletReady', 'kubelet is posting ready status'], ['KubeletNotReady', facts.runtimeError ?? '']),
  ];
}

export function nodeStatus(cfg: NodeConfig, facts: NodeFacts, now: Date, previous?: Prev): KubeObject['status'] {
  const capacity = { cpu: String(facts.cpuCores), memory: `${Math.floor(facts.memoryBytes / 1024)}Ki`, pods: String(cfg.maxPods) };
  return {
    ...(cfg.kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } } } : {}),
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(facts, now, previous),
    addresses: [
      { type: 'InternalIP', address: cfg.nodeIP },
      { type: 'Hostname', address: cfg.name },
    ],
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: facts.runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(arch()),
    },
  };
}

export function nodeObject(cfg: NodeConfig, facts: NodeFacts, now: Date): KubeObject {
  const a = goArch(arch());
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { 'kubernetes.io/hostname': cfg.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': a, 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': a },
      annotations: { 'skiff.dev/machine-hostname': hostname() },
    },
    spec: cfg.podCIDR ? { podCIDR: cfg.podCIDR, podCIDRs: [cfg.podCIDR] } : {},
    status: nodeStatus(cfg, facts, now),
  };
}

/** Whether a status differs from the last posted one in anything but heartbeat times. */
export function statusChanged(a: KubeObject['status'], b: KubeObject['status']): boolean {
  const strip = (s: KubeObject['status']) =>
    JSON.stringify({ ...s, capacity: { ...s?.capacity, memory: undefined }, allocatable: undefined, conditions: (s?.conditions ?? []).map((c: { type: string; status: string }) => [c.type, c.status]) });
  return strip(a) !== strip(b);
}
