// The real kubelet's Summary API (`GET /stats/summary`, k8s.io/kubelet/pkg/apis/stats/v1alpha1),
// computed as Kubernetes' cAdvisor-backed stats provider does, from Docker's stats:
// - a container's cpu.usageNanoCores is the rate between two cumulative samples of its
//   cgroup's usage (the previous one is kept per container; a container seen for the first
//   time is sampled with Docker's two-sample read, whose precpu_stats gives the rate);
// - memory.workingSetBytes is usage − inactive_file (cgroup v1: total_inactive_file);
// - a pod is the sum of its containers and its sandbox (the pod cgroup holds both);
// - the node is the machine, from /proc/stat (cpu) and /proc/meminfo (memory), which is
//   the root cgroup's view. With a remote --docker-host, /proc is this host's, not Docker's.
// Containers are this node's running ones, found by the labels every container carries.
// A summary is shared for 1 s, so that concurrent and repeated scrapes cost one round.
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { NODE_LABEL } from './container-spec.js';
import type { ContainerStats, CPUStats, MemoryStats, PodStats, Summary } from './hollow/stats.js';
import { LABELS, POD_INFRA_CONTAINER_NAME } from './runtime/runtime.js';

export type { Summary } from './hollow/stats.js';

/** The part of Docker's stats answer (GET /containers/ID/stats) read here. */
export interface DockerStats {
  read?: string;
  preread?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  precpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** A cumulative cpu sample: nanoseconds of cpu used, at a time in milliseconds. */
export interface CPUSample {
  usageNs: number;
  atMs: number;
}

/** Docker's RFC 3339 time with nanoseconds, as fractional milliseconds; undefined for the zero time. */
export function dockerTimeMs(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** Nanocores used between two samples (cAdvisor's rate); undefined when they do not make one. */
export function nanoCores(prev: CPUSample | undefined, cur: CPUSample): number | undefined {
  if (!prev || cur.atMs <= prev.atMs || cur.usageNs < prev.usageNs) return undefined;
  return Math.round(((cur.usageNs - prev.usageNs) / (cur.atMs - prev.atMs)) * 1e3); // ns per ms → ns per s
}

/** Memory stats of a cgroup: working set = usage − inactive file pages (v1 total_inactive_file, v2 inactive_file). */
export function containerMemory(m: DockerStats['memory_stats'], time: string): MemoryStats | undefined {
  if (!m || typeof m.usage !== 'number') return undefined;
  const s = m.stats ?? {};
  const inactive = s.total_inactive_file ?? s.inactive_file ?? 0;
  const rss = s.total_rss ?? s.anon ?? s.rss ?? 0;
  return { time, usageBytes: m.usage, workingSetBytes: Math.max(0, m.usage - inactive), rssBytes: rss };
}

/** /proc/stat: busy cpu time in nanoseconds (every state but idle and iowait) and the boot time. */
export function parseProcStat(text: string, userHz = 100): { busyNs: number; bootTime: Date } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no cpu line');
  // user nice system idle iowait irq softirq steal [guest guest_nice: already in user and nice]
  const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const btime = Number(/^btime\s+(\d+)/m.exec(text)?.[1] ?? 0);
  return { busyNs: ((user + nice + system + irq + softirq + steal) * 1e9) / userHz, bootTime: new Date(btime * 1000) };
}

/** /proc/meminfo as the root cgroup's memory: usage = total − free, working set = usage − Inactive(file). */
export function parseMeminfo(text: string, time: string): MemoryStats {
  const kb = (key: string) => Number(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  const usage = total - kb('MemFree');
  const workingSet = Math.max(0, usage - kb('Inactive(file)'));
  // Kubernetes' memory.available (the eviction signal): capacity − working set.
  return { time, usageBytes: usage, workingSetBytes: workingSet, rssBytes: kb('AnonPages'), availableBytes: Math.max(0, total - workingSet) };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, U>(items: T[], limit: number, fn: (t: T) => Promise<U>): Promise<U[]> {
  const out = new Array<U>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface StatsProviderOptions {
  docker: Pick<Docker, 'listContainers' | 'getContainer'>;
  nodeName: string;
  log: Logger;
  now?: () => Date;
  readProc?: (path: string) => Promise<string>;
  /** Docker stats calls in flight at once (default 8). */
  concurrency?: number;
  /** How long a summary is served again (default 1000 ms). */
  cacheMs?: number;
}

interface Sampled {
  labels: Record<string, string>;
  createdAt: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
}

export class StatsProvider {
  private readonly prevCPU = new Map<string, CPUSample>();
  private prevNode?: CPUSample;
  private cached?: { atMs: number; summary: Promise<Summary> };
  private readonly now: () => Date;
  private readonly readProc: (path: string) => Promise<string>;

  constructor(private readonly o: StatsProviderOptions) {
    this.now = o.now ?? (() => new Date());
    this.readProc = o.readProc ?? ((p) => readFile(p, 'utf8'));
  }

  /** The node's summary, computed at most once per cacheMs. */
  summary(): Promise<Summary> {
    const nowMs = this.now().getTime();
    if (this.cached && nowMs - this.cached.atMs < (this.o.cacheMs ?? 1000)) return this.cached.summary;
    const summary = this.compute();
    this.cached = { atMs: nowMs, summary };
    summary.catch(() => (this.cached = undefined)); // a failed round is not served again
    return summary;
  }

  private async compute(): Promise<Summary> {
    if (!this.prevNode) await this.nodeCPU(); // the first node rate spans this round
    const running = await this.o.docker.listContainers({
      filters: { label: [`${LABELS.managed}=true`, `${NODE_LABEL}=${this.o.nodeName}`], status: ['running'] },
    });
    const sampled = await mapLimit(running, this.o.concurrency ?? 8, (c) => this.sample(c.Id, c.Labels ?? {}, new Date(c.Created * 1000).toISOString()));
    const seen = new Set(running.map((c) => c.Id));
    for (const id of this.prevCPU.keys()) if (!seen.has(id)) this.prevCPU.delete(id);
    const byPod = new Map<string, Sampled[]>();
    for (const s of sampled) {
      const uid = s?.labels[LABELS.podUid];
      if (!s || !uid) continue;
      byPod.set(uid, [...(byPod.get(uid) ?? []), s]);
    }
    const pods = [...byPod.values()].map((members) => podStats(members, this.now()));
    pods.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
    return { node: await this.nodeStats(), pods };
  }

  /** One container's stats, or undefined if it went away meanwhile. */
  private async sample(id: string, labels: Record<string, string>, createdAt: string): Promise<Sampled | undefined> {
    const prev = this.prevCPU.get(id);
    let s: DockerStats;
    try {
      // Without a previous sample, Docker's own two-sample read fills precpu_stats (~1 s).
      s = (await this.o.docker.getContainer(id).stats({ stream: false, 'one-shot': prev !== undefined })) as DockerStats;
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404 || code === 409) return undefined; // removed or stopped since the list
      throw err;
    }
    const atMs = dockerTimeMs(s.read) ?? this.now().getTime();
    const time = new Date(atMs).toISOString();
    const usageNs = s.cpu_stats?.cpu_usage?.total_usage;
    let cpu: CPUStats | undefined;
    if (typeof usageNs === 'number') {
      const cur = { usageNs, atMs };
      const preUsage = s.precpu_stats?.cpu_usage?.total_usage;
      const preAt = dockerTimeMs(s.preread);
      const before = prev ?? (preUsage && preAt !== undefined ? { usageNs: preUsage, atMs: preAt } : undefined);
      const rate = nanoCores(before, cur);
      this.prevCPU.set(id, cur);
      // Without a rate (no earlier sample yet) usageNanoCores is left out, as cAdvisor does.
      cpu = rate === undefined ? ({ time, usageCoreNanoSeconds: usageNs } as CPUStats) : { time, usageNanoCores: rate, usageCoreNanoSeconds: usageNs };
    }
    return { labels, createdAt, cpu, memory: containerMemory(s.memory_stats, time) };
  }

  private async nodeStats(): Promise<Summary['node']> {
    const time = this.now().toISOString();
    const [{ cpu, bootTime }, meminfo] = await Promise.all([this.nodeCPU(), this.readProc('/proc/meminfo')]);
    return { nodeName: this.o.nodeName, startTime: bootTime.toISOString(), cpu, memory: parseMeminfo(meminfo, time) };
  }

  /** The machine's cpu from /proc/stat, its rate against the previous read. */
  private async nodeCPU(): Promise<{ cpu: CPUStats; bootTime: Date }> {
    const { busyNs, bootTime } = parseProcStat(await this.readProc('/proc/stat'));
    const now = this.now();
    const time = now.toISOString();
    const cur = { usageNs: busyNs, atMs: now.getTime() };
    const rate = nanoCores(this.prevNode, cur);
    this.prevNode = cur;
    const usageCoreNanoSeconds = Math.round(busyNs);
    return { cpu: rate === undefined ? ({ time, usageCoreNanoSeconds } as CPUStats) : { time, usageNanoCores: rate, usageCoreNanoSeconds }, bootTime };
  }
}

/** `o` without its undefined fields (absent in the JSON, as Go's omitempty pointers). */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** A pod's stats: its app containers listed, the pod totals over them and its sandbox. */
function podStats(members: Sampled[], now: Date): PodStats {
  const l = members[0].labels;
  const isSandbox = (m: Sampled) => m.labels[LABELS.containerName] === POD_INFRA_CONTAINER_NAME || m.labels[LABELS.type] === 'podsandbox';
  const containers: ContainerStats[] = members
    .filter((m) => !isSandbox(m))
    .map((m) => defined({ name: m.labels[LABELS.containerName], startTime: m.createdAt, cpu: m.cpu, memory: m.memory }) as ContainerStats)
    .sort((a, b) => a.name.localeCompare(b.name));
  const time = now.toISOString();
  const sum = (f: (m: Sampled) => number | undefined) => {
    let n = 0;
    for (const m of members) {
      const v = f(m);
      if (v === undefined) return undefined; // one part unknown: the total is too
      n += v;
    }
    return n;
  };
  const cpu: Partial<CPUStats> = { time, usageNanoCores: sum((m) => m.cpu?.usageNanoCores), usageCoreNanoSeconds: sum((m) => m.cpu?.usageCoreNanoSeconds) };
  const memory: Partial<MemoryStats> = { time, workingSetBytes: sum((m) => m.memory?.workingSetBytes), usageBytes: sum((m) => m.memory?.usageBytes), rssBytes: sum((m) => m.memory?.rssBytes) };
  const sandbox = members.find(isSandbox);
  const startTime = sandbox?.createdAt ?? members.map((m) => m.createdAt).sort()[0];
  return {
    podRef: { name: l[LABELS.podName], namespace: l[LABELS.podNamespace], uid: l[LABELS.podUid] },
    startTime,
    containers,
    cpu: defined(cpu) as CPUStats,
    memory: defined(memory) as MemoryStats,
  };
}
