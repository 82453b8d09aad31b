// Objects every cluster starts with, as kube-apiserver's bootstrap controllers create
// them: the system namespaces and the `kubernetes` Service pointing at the apiserver.
import type { Logger } from 'pino';
import { lookupResource } from './registry/resources.js';
import type { Registry, WriteOptions } from './registry/store.js';

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrap(registry: Registry, firstServiceIP: string, address: string, port: number, log: Logger): Promise<void> {
  const opts = (): WriteOptions => ({ dryRun: false, fieldValidation: 'Strict', fieldManager: 'kube-apiserver', warnings: [] });
  const namespaces = lookupResource('', 'v1', 'namespaces')!;
  const services = lookupResource('', 'v1', 'services')!;
  const endpoints = lookupResource('', 'v1', 'endpoints')!;
  const ensure = async (create: () => Promise<unknown>) => {
    try {
      await create();
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  };
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(() => registry.create(namespaces, undefined, { metadata: { name } }, opts()));
  }
  // A user may have taken the first address after deleting the Service; serving the API
  // matters more than that Service, so say so and go on.
  await ensure(() =>
    registry.create(
      services,
      'default',
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { clusterIP: firstServiceIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None', type: 'ClusterIP' },
      },
      opts(),
    ).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 422) throw err;
      log.error({ err }, 'cannot recreate the default/kubernetes Service: its ClusterIP is taken by another Service');
    }),
  );
  const subsets = [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
  try {
    const cur = registry.get(endpoints, 'default', 'kubernetes');
    await registry.update(endpoints, 'default', 'kubernetes', { ...cur.obj, subsets }, opts());
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await registry.create(endpoints, 'default', { metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets }, opts());
  }
  log.info({ namespaces: SYSTEM_NAMESPACES }, 'bootstrap objects present');
}
