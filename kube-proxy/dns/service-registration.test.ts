// kube-system/kube-dns kept pointing at this server, against a fake client and listers.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../shared/client.js';
import { errors } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { desiredService, ServiceRegistration, type RegistrationConfig } from './service-registration.js';

const CFG: RegistrationConfig = { serviceIP: '10.96.0.10', advertiseAddress: '192.0.2.53', dnsPort: 1053, metricsPort: 8081 };
const KEY = 'kube-system/kube-dns';

class FakeApi {
  services = new Map<string, KubeObject>();
  endpoints = new Map<string, KubeObject>();
  writes: string[] = [];
  takenIPs = new Set<string>();
  private rv = 1;
  private store(r: ResourceRef) {
    return r.plural === 'services' ? this.services : this.endpoints;
  }
  create = async <T extends KubeObject>(r: ResourceRef, ns: string | undefined, obj: KubeObject): Promise<T> => {
    this.writes.push(`create ${r.plural}`);
    const key = `${ns}/${obj.metadata.name}`;
    if (this.store(r).has(key)) throw errors.alreadyExists(r.plural, '', obj.metadata.name!);
    if (r.plural === 'services' && this.takenIPs.has(obj.spec.clusterIP)) {
      throw errors.invalid('Service', '', obj.metadata.name!, [{ field: 'spec.clusterIPs[0]', message: `Invalid value: "${obj.spec.clusterIP}": provided IP is already allocated` }]);
    }
    const saved = { ...obj, metadata: { ...obj.metadata, namespace: ns, resourceVersion: String(++this.rv) } };
    this.store(r).set(key, saved);
    return saved as T;
  };
  update = async <T extends KubeObject>(r: ResourceRef, obj: KubeObject): Promise<T> => {
    this.writes.push(`update ${r.plural}`);
    const saved = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.store(r).set(`${obj.metadata.namespace}/${obj.metadata.name}`, saved);
    return saved as T;
  };
}

let api: FakeApi;
let logged: { level: number; msg: string }[];
let reg: ServiceRegistration;

beforeEach(() => {
  api = new FakeApi();
  logged = [];
  const log = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line) as { level: number; msg: string }) });
  reg = new ServiceRegistration({ client: api, services: { get: (k) => api.services.get(k) }, endpoints: { get: (k) => api.endpoints.get(k) }, cfg: CFG, log });
});

describe('ServiceRegistration', () => {
  it('creates the kube-dns Service (no selector, targetPorts = the bound ports) and its Endpoints', async () => {
    await reg.reconcile();
    const svc = api.services.get(KEY)!;
    expect(svc.metadata.labels).toEqual({ 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' });
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 1053 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 1053 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 8081 },
      ],
    });
    expect(api.endpoints.get(KEY)!.subsets).toEqual([
      {
        addresses: [{ ip: '192.0.2.53' }],
        ports: [
          { name: 'dns', port: 1053, protocol: 'UDP' },
          { name: 'dns-tcp', port: 1053, protocol: 'TCP' },
          { name: 'metrics', port: 8081, protocol: 'TCP' },
        ],
      },
    ]);
    api.writes = [];
    await reg.reconcile();
    expect(api.writes).toEqual([]); // converged: nothing more to write
  });

  it('puts back ports, labels and Endpoints that drifted, and drops a selector', async () => {
    await reg.reconcile();
    const svc = api.services.get(KEY)!;
    api.services.set(KEY, { ...svc, metadata: { ...svc.metadata, labels: { extra: 'kept' } }, spec: { ...svc.spec, selector: { app: 'x' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }] } });
    api.endpoints.set(KEY, { ...api.endpoints.get(KEY)!, subsets: [{ addresses: [{ ip: '192.0.2.99' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }] });
    api.writes = [];
    await reg.reconcile();
    expect(api.writes).toEqual(['update services', 'update endpoints']);
    const fixed = api.services.get(KEY)!;
    expect(fixed.spec.selector).toBeUndefined();
    expect(fixed.spec.ports).toEqual(desiredService(CFG).spec.ports);
    expect(fixed.metadata.labels).toEqual({ extra: 'kept', 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' });
    expect((api.endpoints.get(KEY)!.subsets as { addresses: unknown }[])[0]!.addresses).toEqual([{ ip: '192.0.2.53' }]);
  });

  it('logs one clear error when the ClusterIP is taken, still registers the Endpoints, and retries when that Service goes', async () => {
    api.takenIPs.add('10.96.0.10');
    await reg.reconcile();
    await reg.reconcile();
    const errorsLogged = logged.filter((l) => l.level === 50);
    expect(errorsLogged).toHaveLength(1);
    expect(errorsLogged[0]!.msg).toMatch(/cannot create Service kube-system\/kube-dns: its ClusterIP 10\.96\.0\.10 \(--service-ip\) is already allocated to another Service/);
    expect(api.services.has(KEY)).toBe(false);
    expect(api.endpoints.has(KEY)).toBe(true);

    expect(reg.queue.length).toBe(0);
    reg.enqueueFor({ metadata: { namespace: 'default', name: 'squatter' }, spec: { clusterIP: '10.96.0.10' } });
    expect(reg.queue.length).toBe(1);
    reg.enqueueFor({ metadata: { namespace: 'default', name: 'other' }, spec: { clusterIP: '10.96.0.77' } });
    expect(reg.queue.length).toBe(1);
    api.takenIPs.clear();
    await reg.reconcile();
    expect(api.services.get(KEY)!.spec.clusterIP).toBe('10.96.0.10');
  });

  it('warns once when an existing kube-dns Service has another ClusterIP, and does not fight over it', async () => {
    api.services.set(KEY, { ...desiredService(CFG), metadata: { ...desiredService(CFG).metadata }, spec: { ...desiredService(CFG).spec, clusterIP: '10.96.5.5' } });
    await reg.reconcile();
    await reg.reconcile();
    expect(logged.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([expect.stringMatching(/has ClusterIP 10\.96\.5\.5, not --service-ip 10\.96\.0\.10/)]);
    expect(api.services.get(KEY)!.spec.clusterIP).toBe('10.96.5.5');
  });

  it('leaves a 409 (its cache is behind) to the watch event that follows, and fails on other errors for a retry', async () => {
    api.endpoints.set(KEY, { metadata: { namespace: 'kube-system', name: 'kube-dns' }, subsets: [] });
    api.update = async () => {
      throw errors.conflict('endpoints', '', 'kube-dns', 'the object has been modified');
    };
    await expect(reg.reconcile()).resolves.toBeUndefined();
    api.update = async () => {
      throw errors.unavailable('etcdserver: leader changed');
    };
    await expect(reg.reconcile()).rejects.toMatchObject({ code: 503 });
  });
});
