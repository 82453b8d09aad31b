// The kubelet's Summary API (`GET /stats/summary`, k8s.io/kubelet/pkg/apis/stats/v1alpha1)
// for hollow nodes. A hollow container uses no CPU or memory, so its usage is simulated:
// each container of a running pod uses what the pod's `skiff.dev/hollow-cpu` annotation
// says (a CPU quantity such as "250m") and `skiff.dev/hollow-memory` (bytes, "64Mi"),
// else nothing. The node's usage is the sum of its pods'. Consumers (the HPA controller)
// read this endpoint as they would a real kubelet's, found through the Node's
// status.daemonEndpoints.kubeletEndpoint.Port on its InternalIP.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseQuantity, parseQuantityValue } from '../../shared/quantity.js';
import type { KubeObject } from '../../shared/types.js';
import { ensureServingCert } from '../server/serving-cert.js';
import { timestamp } from './node.js';

export const CPU_ANNOTATION = 'skiff.dev/hollow-cpu';
export const MEMORY_ANNOTATION = 'skiff.dev/hollow-memory';

export interface CPUStats {
  time: string;
  usageNanoCores: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  workingSetBytes: number;
  usageBytes: number;
  rssBytes: number;
  availableBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu: CPUStats;
  memory: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu: CPUStats;
  memory: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; startTime: string; cpu: CPUStats; memory: MemoryStats };
  pods: PodStats[];
}

/** An annotation's quantity, or 0 when absent or malformed (a hollow pod without load). */
function annotated(pod: KubeObject, key: string, parse: (v: string) => number): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined) return 0;
  try {
    return Math.max(0, parse(v));
  } catch {
    return 0; // not a quantity: the simulated container uses nothing
  }
}

const seconds = (from: string | undefined, now: Date) => {
  const t = from ? Date.parse(from) : NaN;
  return Number.isNaN(t) ? 0 : Math.max(0, (now.getTime() - t) / 1000);
};

function cpu(time: string, nanoCores: number, runningSeconds: number): CPUStats {
  return { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: Math.round(nanoCores * runningSeconds) };
}

function memory(time: string, bytes: number): MemoryStats {
  return { time, workingSetBytes: bytes, usageBytes: bytes, rssBytes: bytes };
}

/** The stats of a pod the node runs, or undefined for a pod that is not running. */
export function podStats(pod: KubeObject, now: Date): PodStats | undefined {
  if (pod.status?.phase !== 'Running') return undefined;
  const time = timestamp(now);
  const nanoCores = Math.round(annotated(pod, CPU_ANNOTATION, parseQuantity) * 1e9);
  const bytes = annotated(pod, MEMORY_ANNOTATION, parseQuantityValue);
  const podStart: string = pod.status.startTime ?? time;
  const statuses = (pod.status.containerStatuses ?? []) as { name: string; state?: { running?: { startedAt?: string } } }[];
  const containers: ContainerStats[] = [];
  for (const c of (pod.spec?.containers ?? []) as { name: string }[]) {
    const startTime = statuses.find((s) => s.name === c.name)?.state?.running?.startedAt;
    if (!startTime) continue; // not running: a kubelet has no stats for it
    containers.push({ name: c.name, startTime, cpu: cpu(time, nanoCores, seconds(startTime, now)), memory: memory(time, bytes) });
  }
  const sum = (f: (c: ContainerStats) => number) => containers.reduce((n, c) => n + f(c), 0);
  return {
    podRef: { name: pod.metadata.name!, namespace: pod.metadata.namespace!, uid: pod.metadata.uid! },
    startTime: podStart,
    containers,
    cpu: { time, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) },
    memory: { time, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes), rssBytes: sum((c) => c.memory.rssBytes) },
  };
}

/** The Summary of a node: its running pods, and itself as their sum. */
export function nodeSummary(nodeName: string, pods: KubeObject[], memoryCapacity: string, startTime: Date, now: Date): Summary {
  const time = timestamp(now);
  const stats = pods.map((p) => podStats(p, now)).filter((s): s is PodStats => s !== undefined);
  stats.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
  const nanoCores = stats.reduce((n, s) => n + s.cpu.usageNanoCores, 0);
  const bytes = stats.reduce((n, s) => n + s.memory.workingSetBytes, 0);
  let capacity = 0;
  try {
    capacity = parseQuantityValue(memoryCapacity);
  } catch {
    capacity = 0; // a malformed --memory was already reported to the user as the node's capacity
  }
  return {
    node: {
      nodeName,
      startTime: timestamp(startTime),
      cpu: cpu(time, nanoCores, seconds(timestamp(startTime), now)),
      memory: { ...memory(time, bytes), availableBytes: Math.max(0, capacity - bytes) },
    },
    pods: stats,
  };
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

/** One self-signed serving certificate for every hollow node of this process (as a kubelet without --tls-cert-file), kept in memory only. */
let servingCert: { cert: Buffer; key: Buffer } | undefined;
function hollowServingCert(): { cert: Buffer; key: Buffer } {
  if (!servingCert) {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-hollow-kubelet-'));
    try {
      const pair = ensureServingCert(dir, 'hollow', ['127.0.0.1']);
      servingCert = { cert: readFileSync(pair.cert), key: readFileSync(pair.key) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return servingCert;
}

/**
 * Serves one node's kubelet API on 127.0.0.1 (the hollow node's only address), over TLS as
 * every kubelet API, with the binary's defaults (anonymous, AlwaysAllow): the Summary API
 * and /healthz. `port` 0 asks the system for a free one; a `port` in use
 * falls back to a free one with a warning, since the Node advertises whichever it got.
 */
export async function serveKubeletAPI(nodeName: string, port: number, summary: () => Summary, log: Logger): Promise<KubeletServer> {
  const server = https.createServer(hollowServingCert(), (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    if (path === '/stats/summary' || path === '/stats/summary/') return send(200, 'application/json', JSON.stringify(summary()));
    if (path === '/healthz') return send(200, 'text/plain; charset=utf-8', 'ok');
    return send(404, 'text/plain; charset=utf-8', '404 page not found\n');
  });
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch (err) {
    if (port === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    await listen(0);
    log.warn({ node: nodeName, wanted: port, port: (server.address() as AddressInfo).port }, 'kubelet port in use; serving on a free one');
  }
  server.on('error', (err) => log.warn({ node: nodeName, err }, 'kubelet API server error'));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
