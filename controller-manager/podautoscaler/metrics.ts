// Resource usage of pods for the HPA (upstream's metrics.MetricsClient, GetResourceMetric),
// read straight from the kubelets' Summary API as metrics-server does: the selected pods
// are grouped by node, each node's `GET https://<InternalIP>:<kubeletEndpoint.Port>/stats/summary`
// is fetched once per sync (a session caches it), and each pod's usage is the sum of its
// containers' (cpu usageNanoCores, memory workingSetBytes). Values are milli-units, as
// upstream's Quantity.MilliValue: millicores, millibytes. A pod whose node cannot be
// reached, or that the kubelet does not report, is "missing" to the replica calculator.
// The kubelets' serving certificates are their own (self-signed, as metrics-server's
// --kubelet-insecure-tls), and the controller-manager shows its own credentials, which
// need `get nodes/stats`.
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';

export interface PodMetric {
  /** Milli-units of the resource: millicores for cpu, millibytes for memory. */
  value: number;
  timestamp: Date;
  /** The span the sample covers (metrics-server's window). */
  windowMs: number;
}

/** Usage per pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface ResourceMetrics {
  metrics: PodMetricsInfo;
  timestamp: Date;
}

export interface MetricsClient {
  /** Usage of `resource` by the pods of `namespace` that `selector` selects; `container` narrows it to one container. */
  getResourceMetric(resource: string, namespace: string, selector: LabelSelector, container: string): Promise<ResourceMetrics>;
}

/** The part of the kubelet's Summary API (stats/v1alpha1) read here. */
interface UsageStats {
  time?: string;
  usageNanoCores?: number;
  workingSetBytes?: number;
}
export interface StatsSummary {
  node?: { nodeName?: string };
  pods?: {
    podRef: { name: string; namespace: string; uid?: string };
    containers?: ({ name: string; cpu?: UsageStats; memory?: UsageStats } | undefined)[];
  }[];
}

export class MetricsError extends Error {
  override readonly name = 'MetricsError';
}

/** A container's usage of `resource` in milli-units, and the sample's time; undefined when not reported. */
function containerUsage(c: { cpu?: UsageStats; memory?: UsageStats }, resource: string): { milli: number; time?: string } | undefined {
  if (resource === 'cpu' && typeof c.cpu?.usageNanoCores === 'number') return { milli: Math.ceil(c.cpu.usageNanoCores / 1e6), time: c.cpu.time };
  if (resource === 'memory' && typeof c.memory?.workingSetBytes === 'number') return { milli: c.memory.workingSetBytes * 1000, time: c.memory.time };
  return undefined;
}

/** Where a node's kubelet serves its API: the InternalIP (else ExternalIP) and daemonEndpoints.kubeletEndpoint.Port. */
export function kubeletURL(node: KubeObject): string | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const addresses = (node.status?.addresses ?? []) as { type: string; address: string }[];
  const address = (addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'ExternalIP'))?.address;
  if (!address || typeof port !== 'number' || port <= 0) return undefined;
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** What the controller-manager shows a kubelet: its client certificate and key, or a bearer token. */
export interface KubeletCredentials {
  cert?: string;
  key?: string;
  token?: string;
}

const NO_CREDENTIALS: KubeletCredentials = {};
const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
/** One keep-alive TLS agent per identity (a controller-manager has one). */
const tlsAgents = new WeakMap<KubeletCredentials, https.Agent>();
function agentFor(tls: boolean, creds: KubeletCredentials): http.Agent {
  if (!tls) return plainAgent;
  let a = tlsAgents.get(creds);
  if (!a) tlsAgents.set(creds, (a = new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false, cert: creds.cert, key: creds.key })));
  return a;
}

/** GET <kubelet>/stats/summary, with a deadline. */
export function fetchSummary(baseURL: string, creds: KubeletCredentials = NO_CREDENTIALS, timeoutMs = 5_000): Promise<StatsSummary> {
  const tls = baseURL.startsWith('https:');
  const headers: Record<string, string> = { accept: 'application/json', ...(creds.token ? { authorization: `Bearer ${creds.token}` } : {}) };
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).get(`${baseURL}/stats/summary`, { agent: agentFor(tls, creds), timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new MetricsError(`GET ${baseURL}/stats/summary: ${res.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text) as StatsSummary);
        } catch (err) {
          reject(new MetricsError(`GET ${baseURL}/stats/summary: unparsable body: ${(err as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new MetricsError(`GET ${baseURL}/stats/summary: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface SummaryMetricsOptions {
  listPods: (namespace: string, selector: LabelSelector) => KubeObject[];
  getNode: (name: string) => KubeObject | undefined;
  fetchSummary: (baseURL: string) => Promise<StatsSummary>;
  now: () => Date;
  /** The window of every sample: the span the HPA scrapes over (its sync period). */
  windowMs: number;
  log: Logger;
}

/**
 * One sync's view of the kubelets' stats: each node's summary is fetched at most once,
 * whichever HPAs and metrics ask for it.
 */
export class SummaryMetricsSession implements MetricsClient {
  private readonly summaries = new Map<string, Promise<StatsSummary>>();

  constructor(private readonly o: SummaryMetricsOptions) {}

  private summaryOf(nodeName: string): Promise<StatsSummary> {
    let s = this.summaries.get(nodeName);
    if (!s) {
      const node = this.o.getNode(nodeName);
      const url = node && kubeletURL(node);
      s = url ? this.o.fetchSummary(url) : Promise.reject(new MetricsError(`node ${nodeName} advertises no kubelet endpoint`));
      s.catch(() => undefined); // observed by every caller below; never an unhandled rejection
      this.summaries.set(nodeName, s);
    }
    return s;
  }

  async getResourceMetric(resource: string, namespace: string, selector: LabelSelector, container: string): Promise<ResourceMetrics> {
    const pods = this.o.listPods(namespace, selector).filter((p) => p.spec?.nodeName);
    const nodes = [...new Set(pods.map((p) => p.spec.nodeName as string))];
    const byNode = new Map<string, StatsSummary>();
    let firstError: unknown;
    await Promise.all(
      nodes.map(async (n) => {
        try {
          byNode.set(n, await this.summaryOf(n));
        } catch (err) {
          firstError ??= err;
          this.o.log.debug({ node: n, err }, 'could not read the kubelet stats summary');
        }
      }),
    );
    const metrics: PodMetricsInfo = new Map();
    let timestamp: Date | undefined;
    for (const pod of pods) {
      const summary = byNode.get(pod.spec.nodeName);
      const stats = summary?.pods?.find(
        (s) => s.podRef?.namespace === namespace && s.podRef.name === pod.metadata.name && (!s.podRef.uid || s.podRef.uid === pod.metadata.uid),
      );
      if (!stats) continue;
      const containers = (stats.containers ?? []).filter((c): c is NonNullable<typeof c> => !!c);
      let sum = 0;
      let time: string | undefined;
      let missing = containers.length === 0;
      if (container) {
        // getContainerMetrics: a pod without the container is an error, one without its usage is missing.
        const c = containers.find((x) => x.name === container);
        if (!c) throw new MetricsError(`failed to get container metrics: container ${container} not present in metrics for pod ${namespace}/${pod.metadata.name}`);
        const u = containerUsage(c, resource);
        missing = !u;
        sum = u?.milli ?? 0;
        time = u?.time;
      } else {
        for (const c of containers) {
          const u = containerUsage(c, resource);
          if (!u) {
            missing = true;
            break;
          }
          sum += u.milli;
          time ??= u.time;
        }
      }
      if (missing) continue;
      const parsed = time ? new Date(time) : this.o.now();
      const at = Number.isNaN(parsed.getTime()) ? this.o.now() : parsed;
      timestamp ??= at;
      metrics.set(pod.metadata.name!, { value: sum, timestamp: at, windowMs: this.o.windowMs });
    }
    if (metrics.size === 0) {
      const why = firstError ? `: ${(firstError as Error).message ?? String(firstError)}` : '';
      throw new MetricsError(`no metrics returned from the kubelets' stats summary${why}`);
    }
    return { metrics, timestamp: timestamp! };
  }
}
