// autoscaling/v1 HorizontalPodAutoscalers served from their autoscaling/v2 storage, as
// kube-apiserver serves them: the stock kubectl (whose `autoscale` POSTs v1, in protobuf)
// and plain HTTP against a real `skiff apiserver`, every verb on the v1 path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'hpa-v1';
const V1 = `/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers`;
const V2 = `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`;
const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const cpu = (n: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: n } } });
const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } };

/** Splits kubectl's table output into rows of cells. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

/** Reads NDJSON watch events until `until` holds or the deadline passes. */
async function readEvents(url: string, until: (events: any[]) => boolean, ms = 10_000): Promise<any[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  const events: any[] = [];
  try {
    const res = await fetch(url, { signal: ctl.signal });
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (until(events)) break;
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return events;
}

describe('autoscaling/v1 HorizontalPodAutoscalers', () => {
  let api: ApiserverProcess;
  let k: Kubectl;

  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${api.url}${path}`, { method, headers: { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const get = async (path: string) => {
    const r = await call('GET', path);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    api = await startApiserver();
    k = new Kubectl(api.url);
    await k.ok(['create', 'namespace', NS]);
    await k.ok(['create', 'deployment', 'web', '--image=registry.local/web:1', '-n', NS]);
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('kubectl autoscale creates an HPA that reads back through v2 with the CPU metric at 50%', async () => {
    expect(await k.ok(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=4', '-n', NS])).toBe('horizontalpodautoscaler.autoscaling/web autoscaled\n');
    const v2 = await get(`${V2}/web`);
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec).toEqual({ scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 4, metrics: [cpu(50)] });
    expect(v2.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl-autoscale', apiVersion: 'autoscaling/v1' });
  });

  it('kubectl get hpa shows the targets, min and max pods, through either version', async () => {
    const [head, row] = rows(await k.ok(['get', 'hpa', 'web', '-n', NS]));
    expect(head).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row!.slice(0, 6)).toEqual(['web', 'Deployment/web', 'cpu: <unknown>/50%', '1', '4', '0']);
    const [, v1row] = rows(await k.ok(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-n', NS]));
    expect(v1row!.slice(0, 6)).toEqual(row!.slice(0, 6));
  });

  it('kubectl get of the v1 resource shows targetCPUUtilizationPercentage: 50', async () => {
    // `hpa.v1.autoscaling` would not do: kubectl's short-name expansion drops the version
    // and asks for the preferred one (v2), whatever the server; the full name keeps it.
    const out = await k.ok(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-n', NS, '-o', 'yaml']);
    expect(out).toContain('apiVersion: autoscaling/v1');
    expect(out).toContain('targetCPUUtilizationPercentage: 50');
    expect(YAML.parse(out).status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
    expect((await get(`${V1}/web`)).spec).toEqual({ scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 });
  });

  it('v1 patches (merge, JSON, strategic) apply to the v1 object and show in v2', async () => {
    await k.ok(['patch', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-n', NS, '--type', 'merge', '-p', '{"spec":{"maxReplicas":6}}']);
    let v2 = await get(`${V2}/web`);
    expect(v2.spec.maxReplicas).toBe(6);
    expect(v2.metadata.generation).toBe(2);
    const json = await call('PATCH', `${V1}/web`, [{ op: 'replace', path: '/spec/targetCPUUtilizationPercentage', value: 70 }], 'application/json-patch+json');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 70 } });
    const strategic = await call('PATCH', `${V1}/web`, { spec: { minReplicas: 2 } }, 'application/strategic-merge-patch+json');
    expect(strategic.status).toBe(200);
    v2 = await get(`${V2}/web`);
    expect(v2.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, metrics: [cpu(70)] });
    // A v2 body on the v1 path is refused, as kube-apiserver does.
    const wrong = await call('PUT', `${V1}/web`, { ...v2, apiVersion: 'autoscaling/v2' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('the API version in the data (autoscaling/v2) does not match the expected API version (autoscaling/v1)');
  });

  it('a v2 HPA with a memory metric reads through v1 with it in the annotation and survives a v1 update unchanged', async () => {
    const created = await call('POST', V2, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'mem' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 5, metrics: [memory, cpu(60)] },
    });
    expect(created.status).toBe(201);
    const v1 = await get(`${V1}/mem`);
    expect(v1.spec.targetCPUUtilizationPercentage).toBe(60);
    expect(JSON.parse(v1.metadata.annotations[METRICS])).toEqual([{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } }]);

    // What `kubectl get -o json | kubectl replace -f -` does through v1.
    const replaced = JSON.parse(await k.ok(['replace', '-o', 'json', '-f', '-'], { stdin: JSON.stringify(v1) }));
    expect(replaced.metadata.annotations[METRICS]).toBe(v1.metadata.annotations[METRICS]);
    const after = await get(`${V2}/mem`);
    expect(after.spec).toEqual(created.body.spec);
    expect(after.metadata.generation).toBe(1);
    expect(after.metadata.annotations).toBeUndefined();

    // An edit of a v1 field keeps the metric v1 cannot express.
    v1.spec.maxReplicas = 7;
    delete v1.metadata.resourceVersion;
    expect((await call('PUT', `${V1}/mem`, v1)).status).toBe(200);
    expect((await get(`${V2}/mem`)).spec).toEqual({ ...created.body.spec, maxReplicas: 7 });
  });

  it('writes status through the v1 status subresource', async () => {
    const v1 = await get(`${V1}/web`);
    v1.status = { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 40 };
    v1.spec.maxReplicas = 100;
    const put = await call('PUT', `${V1}/web/status`, v1);
    expect(put.status).toBe(200);
    expect(put.body.status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 40 });
    const v2 = await get(`${V2}/web`);
    expect(v2.spec.maxReplicas).toBe(6);
    expect(v2.status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] });
    const patched = await call('PATCH', `${V1}/web/status`, { status: { desiredReplicas: 4 } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect((await get(`${V2}/web`)).status).toMatchObject({ currentReplicas: 2, desiredReplicas: 4 });
  });

  it('applies server-side through v1', async () => {
    const manifest = (target: number) =>
      YAML.stringify({
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'ssa', namespace: NS },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: target },
      });
    expect(await k.ok(['apply', '--server-side', '-f', '-'], { stdin: manifest(40) })).toBe('horizontalpodautoscaler.autoscaling/ssa serverside-applied\n');
    expect(await k.ok(['apply', '--server-side', '-f', '-'], { stdin: manifest(45) })).toBe('horizontalpodautoscaler.autoscaling/ssa serverside-applied\n');
    expect((await get(`${V2}/ssa`)).spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, metrics: [cpu(45)] });
  });

  it('lists and watches in v1, with events converted', async () => {
    const list = await get(V1);
    expect(list.kind).toBe('HorizontalPodAutoscalerList');
    expect(list.apiVersion).toBe('autoscaling/v1');
    expect(list.items.map((i: any) => [i.apiVersion, i.metadata.name])).toEqual([
      ['autoscaling/v1', 'mem'],
      ['autoscaling/v1', 'ssa'],
      ['autoscaling/v1', 'web'],
    ]);
    // From the list's resourceVersion: the change below is delivered however late the watch starts.
    const watching = readEvents(`${api.url}${V1}?watch=true&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name=web`, (e) => e.length >= 1);
    expect((await call('PATCH', `${V2}/web`, { spec: { metrics: [memory, cpu(55)] } }, 'application/merge-patch+json')).status).toBe(200);
    const [event] = await watching;
    expect(event.type).toBe('MODIFIED');
    expect(event.object.apiVersion).toBe('autoscaling/v1');
    expect(event.object.spec.targetCPUUtilizationPercentage).toBe(55);
    expect(event.object.metadata.annotations[METRICS]).toContain('memory');
  });

  it('serves discovery and openapi for v1 with v2 still preferred', async () => {
    const group = await get('/apis/autoscaling');
    expect(group.versions.map((v: any) => v.version)).toEqual(['v2', 'v1']);
    expect(group.preferredVersion.version).toBe('v2');
    const v1 = await get('/apis/autoscaling/v1');
    expect(v1.resources.map((r: any) => r.name)).toEqual(['horizontalpodautoscalers', 'horizontalpodautoscalers/status']);
    expect(v1.resources[0]).toMatchObject({ kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], namespaced: true });
    const doc = await get('/openapi/v3/apis/autoscaling/v1');
    expect(doc.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec'].properties).toHaveProperty('targetCPUUtilizationPercentage');
    expect(await k.ok(['api-versions'])).toMatch(/^autoscaling\/v1\nautoscaling\/v2$/m);
    expect(await k.ok(['explain', 'hpa.spec', '--api-version=autoscaling/v1'])).toContain('targetCPUUtilizationPercentage');
  });

  it('deletes through v1, one object and a collection', async () => {
    const deleted = await call('DELETE', `${V1}/ssa`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ apiVersion: 'autoscaling/v1', metadata: { name: 'ssa' }, spec: { targetCPUUtilizationPercentage: 45 } });
    expect(await k.ok(['delete', 'horizontalpodautoscalers.v1.autoscaling', 'mem', '-n', NS])).toBe('horizontalpodautoscaler.autoscaling "mem" deleted\n');
    const collection = await call('DELETE', V1);
    expect(collection.status).toBe(200);
    expect(collection.body).toMatchObject({ kind: 'HorizontalPodAutoscalerList', apiVersion: 'autoscaling/v1' });
    expect(collection.body.items.map((i: any) => [i.apiVersion, i.metadata.name, i.spec.targetCPUUtilizationPercentage])).toEqual([['autoscaling/v1', 'web', 55]]);
    expect((await get(V2)).items).toEqual([]);
  });
});
