// The official JavaScript client's informer follows a burst of 200 writes and ends with
// exactly the apiserver's state, seeing events in resourceVersion order.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';

const NS = 'informer';

describe('@kubernetes/client-node informer', () => {
  let api: ApiserverProcess;
  let kc: k8s.KubeConfig;
  beforeAll(async () => {
    api = await startApiserver();
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'skiff', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'admin' }],
      contexts: [{ name: 'skiff', cluster: 'skiff', user: 'admin' }],
      currentContext: 'skiff',
    });
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('ends with the server state after 200 creates, updates and deletes', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, `/api/v1/namespaces/${NS}/configmaps`, () => core.listNamespacedConfigMap({ namespace: NS }));
    const seen: { verb: string; rv: number }[] = [];
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, (o) => seen.push({ verb, rv: Number(o.metadata!.resourceVersion) }));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();

    // 200 operations: 100 creates, 60 updates, 40 deletes, issued concurrently in waves.
    const names = Array.from({ length: 100 }, (_, i) => `cm-${i}`);
    await Promise.all(names.map((name, i) => core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name }, data: { v: String(i) } } })));
    await Promise.all(
      names.slice(0, 60).map(async (name) => {
        const cur = await core.readNamespacedConfigMap({ name, namespace: NS });
        await core.replaceNamespacedConfigMap({ name, namespace: NS, body: { ...cur, data: { v: 'updated' } } });
      }),
    );
    await Promise.all(names.slice(60).map((name) => core.deleteNamespacedConfigMap({ name, namespace: NS })));

    const server = await core.listNamespacedConfigMap({ namespace: NS });
    const want = server.items.map((i) => `${i.metadata!.name}@${i.metadata!.resourceVersion}`).sort();
    const deadline = Date.now() + 30_000;
    const have = () =>
      informer
        .list(NS)
        .map((i) => `${i.metadata!.name}@${i.metadata!.resourceVersion}`)
        .sort();
    while (JSON.stringify(have()) !== JSON.stringify(want) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const errorsBeforeStop = [...errors];
    await informer.stop();

    expect(errorsBeforeStop).toEqual([]);
    expect(have()).toEqual(want);
    expect(want).toHaveLength(60);
    expect(informer.list(NS).every((i) => i.data?.v === 'updated')).toBe(true);
    expect(seen.filter((s) => s.verb === 'add')).toHaveLength(100);
    expect(seen.filter((s) => s.verb === 'update')).toHaveLength(60);
    expect(seen.filter((s) => s.verb === 'delete')).toHaveLength(40);
    const rvs = seen.map((s) => s.rv);
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(new Set(rvs).size).toBe(rvs.length);
  });
});
