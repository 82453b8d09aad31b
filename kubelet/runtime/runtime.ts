// The kubelet's view of a container runtime: pod sandboxes (a pause container holding the
// pod's namespaces) and the containers joined to them, found again by their labels. It is
// shaped after Kubernetes' CRI RuntimeService, reduced to what skiff's kubelet uses; the
// Docker implementation is docker.ts, and unit tests of the kubelet use a fake of this.
import type { Readable } from 'node:stream';

/** Labels on every container skiff creates, as dockershim wrote them. */
export const LABELS = {
  podUid: 'io.kubernetes.pod.uid',
  podNamespace: 'io.kubernetes.pod.namespace',
  podName: 'io.kubernetes.pod.name',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
  /** "podsandbox" for the pause container, "container" for the pod's containers. */
  type: 'io.kubernetes.docker.type',
  sandboxId: 'io.kubernetes.sandbox.id',
  managed: 'skiff.managed',
} as const;

/** io.kubernetes.container.name of a pod's sandbox container, as in Kubernetes. */
export const POD_INFRA_CONTAINER_NAME = 'POD';
export const CONTAINER_TYPE_SANDBOX = 'podsandbox';
export const CONTAINER_TYPE_CONTAINER = 'container';

export type RuntimeErrorCode =
  | 'ImageNotFound' // the kubelet reports ErrImagePull, then ImagePullBackOff
  | 'ContainerNotFound'
  | 'Conflict' // e.g. a container of that name exists already
  | 'InvalidSpec'
  | 'RuntimeUnavailable' // the engine does not answer
  | 'NetworkNotReady' // the node's pod network is not set up yet (no podCIDR)
  | 'RuntimeError';

/** A coded runtime error; `message` is the engine's own words, for events and status. */
export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}

export interface PodSandboxConfig {
  uid: string;
  namespace: string;
  name: string;
  /** The pod's hostname (Kubernetes: spec.hostname, else the pod's name; at most 63 chars). */
  hostname: string;
  /** Sandbox attempt: a new sandbox for the same pod gets the next one (part of its name). */
  attempt?: number;
  /** The pod's resolv.conf (CRI's DNSConfig): written into the sandbox, which its containers share. */
  dns?: { servers?: string[]; searches?: string[]; options?: string[] };
  /** The pod's /etc/hosts, given its IP (the kubelet-managed hosts file). */
  hosts?: (podIP: string) => string;
  /** The network the sandbox joins (default: the runtime's). */
  network?: string;
  /** hostPort mappings of the pod's containers (the sandbox owns the network namespace). */
  portMappings?: { containerPort: number; hostPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP'; hostIP?: string }[];
  /** Extra labels, e.g. the pod's own labels; the identity labels above are always set. */
  labels?: Record<string, string>;
}

export interface MountSpec {
  /** A host path bound into the container; absent for a tmpfs. */
  hostPath?: string;
  containerPath: string;
  readOnly?: boolean;
  /** A tmpfs instead of a bind (emptyDir with medium Memory). */
  tmpfs?: { sizeBytes?: number };
}

export interface ContainerSpec {
  /** The container's name in the pod spec. */
  name: string;
  image: string;
  /** Kubernetes' command (the entrypoint) and args (its arguments); unset keeps the image's. */
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  workingDir?: string;
  mounts?: MountSpec[];
  /** CFS quota in microseconds per cpuPeriod (default 100000): see milliCPUToQuota. */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** Relative CPU weight, from the CPU request: see milliCPUToShares. */
  cpuShares?: number;
  /** Bytes; the container gets no swap beyond it. */
  memoryLimit?: number;
  /** "uid", "uid:gid" or a user name of the image. */
  user?: string;
  readOnlyRootfs?: boolean;
  /** The pod's spec.shareProcessNamespace: join the sandbox's PID namespace too. */
  sharePidNamespace?: boolean;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** How many times the kubelet has restarted this container (a label, part of the name). */
  restartCount: number;
  labels?: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerStatus {
  id: string;
  /** The engine's name of the container (k8s_<container>_<pod>_<namespace>_<uid>_<attempt>). */
  name: string;
  /** The image reference it was created from, and the image's ID (sha256:…). */
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  exitCode: number;
  /** Set when the engine could not start it (e.g. the command was not found). */
  error?: string;
  oomKilled: boolean;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  pid: number;
  /** The pod's IP (set on the sandbox container). */
  ipAddress?: string;
  resources: { cpuQuota: number; cpuPeriod: number; cpuShares: number; memoryLimit: number };
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  size: number;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Only lines since this time. */
  since?: Date;
  /** Prefix each line with its RFC 3339 time, as kubectl logs --timestamps. */
  timestamps?: boolean;
  /** Ends a followed stream. */
  signal?: AbortSignal;
}

export interface RuntimeEvent {
  /** Docker's action: create, start, die, oom, kill, stop, destroy, … */
  action: string;
  id: string;
  labels: Record<string, string>;
  time: Date;
  /** For die events. */
  exitCode?: number;
}

export interface ContainerRuntime {
  /** "docker://20.10.24", for the Node's nodeInfo.containerRuntimeVersion. */
  version(): Promise<string>;
  /** The image if present, or RuntimeError ImageNotFound (ensureImage never pulls). */
  ensureImage(image: string): Promise<ImageInfo>;
  /** Pulls an image (ImageNotFound with the reason); absent: this runtime never pulls. */
  pullImage?(image: string): Promise<void>;
  /** Creates and starts the pod's pause container; its ID is the sandbox ID. */
  createSandbox(pod: PodSandboxConfig): Promise<string>;
  /** Creates (does not start) a container in the sandbox's network, IPC (and PID) namespaces. */
  createContainer(sandboxId: string, spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM (the image's stop signal), then SIGKILL after graceSeconds. Gone or stopped: done. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes a container (stopped or not) and its anonymous volumes. Gone: done. */
  remove(id: string): Promise<void>;
  /** Every skiff-managed container (running or not) whose labels match all of `labels`. */
  list(labels?: Record<string, string>): Promise<ContainerStatus[]>;
  /** One container, or RuntimeError ContainerNotFound. */
  inspect(id: string): Promise<ContainerStatus>;
  /** stdout and stderr of the container, merged in order. */
  logs(id: string, opts?: LogOptions): Promise<Readable>;
  /** Container events of skiff-managed containers until `signal` aborts. */
  events(opts?: { since?: Date; signal?: AbortSignal }): AsyncIterable<RuntimeEvent>;
}

/** CFS period Kubernetes uses (100 ms). */
export const QUOTA_PERIOD = 100_000;
const MIN_QUOTA_PERIOD = 1_000;
const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;

/** A CPU limit in millicores → CFS quota, as Kubernetes' milliCPUToQuota (0: no limit). */
export function milliCPUToQuota(milliCPU: number, period = QUOTA_PERIOD): number {
  if (milliCPU <= 0) return 0;
  return Math.max(Math.floor((milliCPU * period) / 1000), MIN_QUOTA_PERIOD);
}

/** A CPU request in millicores → cgroup v1 cpu.shares, as Kubernetes' milliCPUToShares. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return MIN_SHARES;
  return Math.max(Math.floor((milliCPU * SHARES_PER_CPU) / 1000), MIN_SHARES);
}
