// A v1 Container of a pod → the runtime's ContainerSpec (kuberuntime's generateContainerConfig):
// command/args, env, workingDir, resources (limits → CFS quota and memory limit, the CPU
// request → shares), securityContext runAsUser/runAsGroup/readOnlyRootFilesystem, tty/stdin.
import { parseCpuMillis, parseQuantity } from '../shared/quantity.js';
import type { KubeObject } from '../shared/types.js';
import { milliCPUToQuota, milliCPUToShares, type ContainerSpec, type MountSpec } from './runtime/runtime.js';

/** The parts of a v1.Container the kubelet reads. */
export interface V1Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean };
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  imagePullPolicy?: string;
  [key: string]: unknown;
}

/** Label on every container and sandbox: the node whose kubelet owns it (several kubelets may share one engine). */
export const NODE_LABEL = 'skiff.node.name';

export interface BuildInput {
  pod: KubeObject;
  container: V1Container;
  restartCount: number;
  nodeName: string;
  env: { name: string; value: string }[];
  mounts: MountSpec[];
}

export function buildContainerSpec(i: BuildInput): ContainerSpec {
  const c = i.container;
  const limits = c.resources?.limits ?? {};
  const requests = { ...limits, ...c.resources?.requests };
  const sc = c.securityContext ?? {};
  const podSc = i.pod.spec?.securityContext ?? {};
  const uid = sc.runAsUser ?? podSc.runAsUser;
  const gid = sc.runAsGroup ?? podSc.runAsGroup;
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: i.env,
    workingDir: c.workingDir || undefined,
    mounts: i.mounts,
    cpuQuota: limits.cpu !== undefined ? milliCPUToQuota(parseCpuMillis(limits.cpu)) : undefined,
    cpuShares: requests.cpu !== undefined ? milliCPUToShares(parseCpuMillis(requests.cpu)) : undefined,
    memoryLimit: limits.memory !== undefined ? Math.round(parseQuantity(limits.memory)) : undefined,
    user: uid !== undefined ? (gid !== undefined ? `${uid}:${gid}` : String(uid)) : undefined,
    readOnlyRootfs: sc.readOnlyRootFilesystem ?? false,
    sharePidNamespace: i.pod.spec?.shareProcessNamespace ?? false,
    tty: c.tty ?? false,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    restartCount: i.restartCount,
    labels: { [NODE_LABEL]: i.nodeName },
  };
}

/** Env without a resolver: the literal values (valueFrom needs kubelet/env.ts). */
export function literalEnv(c: V1Container): { name: string; value: string }[] {
  return (c.env ?? []).filter((e) => e.value !== undefined || !e.valueFrom).map((e) => ({ name: e.name, value: e.value ?? '' }));
}

/** Whether a container that exited with `exitCode` is restarted under the pod's restartPolicy. */
export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

/** "10s", "1m20s", as Go prints a time.Duration in the kubelet's back-off messages. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round((s - m * 60) * 10) / 10;
  return rest ? `${m}m${rest}s` : `${m}m0s`;
}
