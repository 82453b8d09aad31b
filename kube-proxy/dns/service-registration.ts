// --register-service: keeps kube-system/kube-dns pointing at this server, the way
// kube-apiserver keeps default/kubernetes pointing at itself. The Service (ClusterIP
// --service-ip, ports dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP, no selector, targetPorts =
// the ports actually bound) and its Endpoints (--advertise-address) are reconciled from the
// informer caches whenever either changes, so an edit or a delete is undone at once.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
const KEY = `${DNS_NAMESPACE}/${DNS_SERVICE}`;
export const DNS_LABELS: Record<string, string> = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' };

export interface RegistrationConfig {
  serviceIP: string;
  advertiseAddress: string;
  /** The port the DNS listeners are bound to (UDP and TCP). */
  dnsPort: number;
  /** The port /metrics is served on. */
  metricsPort: number;
}

interface Port {
  name: string;
  port: number;
  protocol: string;
  targetPort?: number | string;
}

function servicePorts(cfg: RegistrationConfig): Port[] {
  return [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: cfg.dnsPort },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: cfg.dnsPort },
    { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: cfg.metricsPort },
  ];
}

export function desiredService(cfg: RegistrationConfig): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { ...DNS_LABELS } },
    spec: { type: 'ClusterIP', clusterIP: cfg.serviceIP, ports: servicePorts(cfg), sessionAffinity: 'None' },
  };
}

export function desiredSubsets(cfg: RegistrationConfig): unknown[] {
  return [
    {
      addresses: [{ ip: cfg.advertiseAddress }],
      ports: [
        { name: 'dns', port: cfg.dnsPort, protocol: 'UDP' },
        { name: 'dns-tcp', port: cfg.dnsPort, protocol: 'TCP' },
        { name: 'metrics', port: cfg.metricsPort, protocol: 'TCP' },
      ],
    },
  ];
}

const hasLabels = (o: KubeObject) => Object.entries(DNS_LABELS).every(([k, v]) => o.metadata.labels?.[k] === v);
const portView = (ports: Port[] | undefined) => JSON.stringify((ports ?? []).map((p) => [p.name, p.port, p.protocol ?? 'TCP', p.targetPort ?? p.port]));

/** The Service as it must become, or undefined when `cur` already matches (clusterIP aside: immutable). */
export function serviceUpdate(cur: KubeObject, cfg: RegistrationConfig): KubeObject | undefined {
  const want = servicePorts(cfg);
  if (hasLabels(cur) && portView(cur.spec?.ports) === portView(want) && !cur.spec?.selector && cur.spec?.type === 'ClusterIP') return undefined;
  const spec = { ...cur.spec, type: 'ClusterIP', ports: want };
  delete spec.selector; // a selector would hand the Endpoints to the endpoints controller
  return { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, ...DNS_LABELS } }, spec };
}

function subsetsView(subsets: unknown): string {
  const list = (subsets ?? []) as { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[]; ports?: Port[] }[];
  return JSON.stringify(
    list.map((s) => [
      (s.addresses ?? []).map((a) => a.ip).sort(),
      (s.notReadyAddresses ?? []).map((a) => a.ip).sort(),
      (s.ports ?? []).map((p) => [p.name, p.port, p.protocol ?? 'TCP']).sort(),
    ]),
  );
}

/** The Endpoints as they must become, or undefined when `cur` already matches. */
export function endpointsUpdate(cur: KubeObject, cfg: RegistrationConfig): KubeObject | undefined {
  const subsets = desiredSubsets(cfg);
  if (hasLabels(cur) && subsetsView(cur.subsets) === subsetsView(subsets)) return undefined;
  return { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, ...DNS_LABELS } }, subsets };
}

export interface Lister {
  get(key: string): KubeObject | undefined;
}

export interface RegistrationDeps {
  client: Pick<Client, 'create' | 'update'>;
  services: Lister;
  endpoints: Lister;
  cfg: RegistrationConfig;
  log: Logger;
  queue?: WorkQueue;
}

export class ServiceRegistration {
  readonly queue: WorkQueue;
  /** What was last said about a problem, so that each is logged once, not on every resync. */
  private reported = '';

  constructor(private readonly deps: RegistrationDeps) {
    this.queue = deps.queue ?? new WorkQueue();
  }

  /** For every Service and Endpoints event: ours, or a Service holding (or releasing) our ClusterIP. */
  enqueueFor(obj: KubeObject): void {
    if (keyOf(obj) === KEY || obj.spec?.clusterIP === this.deps.cfg.serviceIP) this.queue.add(KEY);
  }

  run(): Promise<void> {
    this.queue.add(KEY);
    return runWorker(this.queue, () => this.reconcile(), (_key, err) => this.deps.log.warn({ err }, `ensuring ${KEY} failed; retrying`));
  }

  stop(): void {
    this.queue.shutDown();
  }

  async reconcile(): Promise<void> {
    await this.staleCacheIsDone(() => this.reconcileService());
    await this.staleCacheIsDone(() => this.reconcileEndpoints());
  }

  /**
   * A 409 (AlreadyExists, or Conflict on a stale resourceVersion) means the cache is behind
   * our own or someone's write; the watch event carrying it enqueues us again, so this pass
   * is done rather than failed.
   */
  private async staleCacheIsDone(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (!isApiError(err) || err.code !== 409) throw err;
      this.deps.log.debug({ err }, 'cache behind the apiserver; waiting for the watch');
    }
  }

  private report(level: 'error' | 'warn', what: string, fields: Record<string, unknown>): void {
    if (this.reported === what) return;
    this.reported = what;
    this.deps.log[level](fields, what);
  }

  private async reconcileService(): Promise<void> {
    const { client, services, cfg, log } = this.deps;
    const cur = services.get(KEY);
    if (!cur) {
      try {
        await client.create(R.services, DNS_NAMESPACE, desiredService(cfg));
        log.info({ clusterIP: cfg.serviceIP, dnsPort: cfg.dnsPort }, `created Service ${KEY}`);
        this.reported = '';
      } catch (err) {
        // The ClusterIP is another Service's: retrying cannot help until that one goes, and
        // enqueueFor() brings us back when it does.
        if (isApiError(err) && err.code === 422 && /already allocated/.test(err.message)) {
          this.report('error', `cannot create Service ${KEY}: its ClusterIP ${cfg.serviceIP} (--service-ip) is already allocated to another Service; pods whose resolv.conf names ${cfg.serviceIP} will not reach cluster DNS until that Service is deleted`, { err, clusterIP: cfg.serviceIP });
          return;
        }
        throw err;
      }
      return;
    }
    if (cur.spec?.clusterIP !== cfg.serviceIP) {
      this.report('warn', `Service ${KEY} has ClusterIP ${String(cur.spec?.clusterIP)}, not --service-ip ${cfg.serviceIP}; a ClusterIP cannot change, so delete the Service to have it recreated`, { clusterIP: cur.spec?.clusterIP });
    }
    const update = serviceUpdate(cur, cfg);
    if (!update) return;
    await client.update(R.services, update);
    log.info({ dnsPort: cfg.dnsPort, metricsPort: cfg.metricsPort }, `updated Service ${KEY} to this server's ports`);
  }

  private async reconcileEndpoints(): Promise<void> {
    const { client, endpoints, cfg, log } = this.deps;
    const cur = endpoints.get(KEY);
    if (!cur) {
      const obj: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { ...DNS_LABELS } }, subsets: desiredSubsets(cfg) };
      await client.create(R.endpoints, DNS_NAMESPACE, obj);
      log.info({ address: cfg.advertiseAddress, dnsPort: cfg.dnsPort }, `created Endpoints ${KEY}`);
      return;
    }
    const update = endpointsUpdate(cur, cfg);
    if (!update) return;
    await client.update(R.endpoints, update);
    log.info({ address: cfg.advertiseAddress, dnsPort: cfg.dnsPort }, `updated Endpoints ${KEY} to this server`);
  }
}
