// An in-memory AdmissionContext and attribute builders for the plugins' table tests.
import type { KubeObject } from '../../shared/types.js';
import { lookupResource, type ResourceInfo } from '../registry/resources.js';
import type { AdmissionContext, Attributes, Operation } from './interface.js';

export class FakeContext implements AdmissionContext {
  readonly objects = new Map<string, KubeObject>();
  statusWrites = 0;

  constructor(objs: KubeObject[] = []) {
    for (const o of objs) this.put(o);
  }

  private key(r: ResourceInfo, ns: string | undefined, name: string): string {
    return `${r.plural}/${r.namespaced ? ns : ''}/${name}`;
  }

  put(o: KubeObject): void {
    const r = lookupResource(o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0]! : '', o.apiVersion?.split('/').pop() ?? 'v1', plural(o.kind!))!;
    this.objects.set(this.key(r, o.metadata.namespace, o.metadata.name!), structuredClone(o));
  }

  get(r: ResourceInfo, ns: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.key(r, ns, name));
  }

  list(r: ResourceInfo, ns: string): KubeObject[] {
    const prefix = `${r.plural}/${ns}/`;
    return [...this.objects.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, o]) => o);
  }

  async updateStatus(r: ResourceInfo, ns: string, name: string, change: (copy: KubeObject) => KubeObject): Promise<unknown> {
    const cur = this.get(r, ns, name);
    if (!cur) throw new Error(`${r.plural} ${ns}/${name} not found`);
    const next = change(structuredClone(cur));
    this.objects.set(this.key(r, ns, name), next);
    this.statusWrites++;
    return next;
  }
}

function plural(kind: string): string {
  const special: Record<string, string> = { ResourceQuota: 'resourcequotas', LimitRange: 'limitranges', ServiceAccount: 'serviceaccounts', Namespace: 'namespaces', Pod: 'pods' };
  return special[kind] ?? `${kind.toLowerCase()}s`;
}

export function resource(plural: string, group = '', version = 'v1'): ResourceInfo {
  const r = lookupResource(group, version, plural);
  if (!r) throw new Error(`no resource ${group}/${plural}`);
  return r;
}

export function attrs(operation: Operation, r: ResourceInfo, object: KubeObject | undefined, extra: Partial<Attributes> = {}): Attributes {
  return {
    operation,
    resource: r,
    subresource: '',
    namespace: r.namespaced ? (object?.metadata.namespace ?? extra.oldObject?.metadata.namespace ?? 'ns') : '',
    name: object?.metadata.name ?? extra.oldObject?.metadata.name ?? '',
    object,
    dryRun: false,
    warnings: [],
    ...extra,
  };
}

export const namespace = (name: string, labels: Record<string, string> = {}, phase = 'Active'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase },
});

export const pod = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', ...meta },
  spec,
  status: { phase: 'Pending' },
});

export const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox:1.36', ...extra });
