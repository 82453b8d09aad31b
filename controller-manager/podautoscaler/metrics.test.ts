import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { fetchSummary, kubeletURL, type StatsSummary, SummaryMetricsSession } from './metrics.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const log = pino({ level: 'silent' });

const node = (name: string, port: number | undefined, ip = '127.0.0.1'): KubeObject => ({
  metadata: { name },
  status: { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }], ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) },
});
const pod = (name: string, nodeName: string, labels = { app: 'web' }): KubeObject => ({ metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels }, spec: { nodeName } });
const stats = (name: string, containers: { name: string; nano?: number; bytes?: number }[], uid = `uid-${name}`) => ({
  podRef: { name, namespace: 'ns', uid },
  containers: containers.map((c) => ({
    name: c.name,
    cpu: c.nano === undefined ? {} : { time: '2024-05-01T11:59:59Z', usageNanoCores: c.nano },
    memory: c.bytes === undefined ? {} : { time: '2024-05-01T11:59:59Z', workingSetBytes: c.bytes },
  })),
});

function session(pods: KubeObject[], nodes: Record<string, KubeObject>, summaries: Record<string, StatsSummary | Error>) {
  const fetched: string[] = [];
  const s = new SummaryMetricsSession({
    listPods: () => pods,
    getNode: (n) => nodes[n],
    fetchSummary: async (url) => {
      fetched.push(url);
      const r = summaries[url];
      if (!r || r instanceof Error) throw r ?? new Error(`connect ECONNREFUSED ${url}`);
      return r;
    },
    now: () => NOW,
    windowMs: 15_000,
    log,
  });
  return { s, fetched };
}

const sel = parseLabelSelector('app=web');

describe('SummaryMetricsSession', () => {
  it('sums the containers of each pod, in milli-units, from its node kubelet', async () => {
    const { s } = session([pod('a', 'n1'), pod('b', 'n2')], { n1: node('n1', 10250), n2: node('n2', 10251) }, {
      'https://127.0.0.1:10250': { pods: [stats('a', [{ name: 'c1', nano: 150_000_000, bytes: 1024 }, { name: 'c2', nano: 50_000_001, bytes: 1024 }])] },
      'https://127.0.0.1:10251': { pods: [stats('b', [{ name: 'c1', nano: 10_000_000, bytes: 10 }])] },
    });
    const cpu = await s.getResourceMetric('cpu', 'ns', sel, '');
    expect(Object.fromEntries([...cpu.metrics].map(([k, v]) => [k, v.value]))).toEqual({ a: 201, b: 10 });
    expect(cpu.metrics.get('a')).toMatchObject({ timestamp: new Date('2024-05-01T11:59:59Z'), windowMs: 15_000 });
    const mem = await s.getResourceMetric('memory', 'ns', sel, '');
    expect(mem.metrics.get('a')!.value).toBe(2048 * 1000);
    const c1 = await s.getResourceMetric('cpu', 'ns', sel, 'c1');
    expect(Object.fromEntries([...c1.metrics].map(([k, v]) => [k, v.value]))).toEqual({ a: 150, b: 10 });
  });

  it('fetches each node once per session', async () => {
    const { s, fetched } = session([pod('a', 'n1'), pod('b', 'n1')], { n1: node('n1', 10250) }, { 'https://127.0.0.1:10250': { pods: [stats('a', [{ name: 'c', nano: 1e6 }]), stats('b', [{ name: 'c', nano: 2e6 }])] } });
    await s.getResourceMetric('cpu', 'ns', sel, '');
    await s.getResourceMetric('memory', 'ns', sel, '').catch(() => undefined);
    expect(fetched).toEqual(['https://127.0.0.1:10250']);
  });

  it('leaves out pods of unreachable nodes, unscheduled pods, replaced pods and pods missing a container usage', async () => {
    const { s } = session(
      [pod('a', 'n1'), pod('b', 'down'), pod('c', ''), pod('d', 'n1'), pod('e', 'n1'), pod('f', 'noport')],
      { n1: node('n1', 10250), down: node('down', 10260), noport: node('noport', undefined) },
      { 'https://127.0.0.1:10250': { pods: [stats('a', [{ name: 'c', nano: 1e6 }]), stats('d', [{ name: 'c', nano: 1e6 }], 'old-uid'), stats('e', [{ name: 'c', nano: 1e6 }, { name: 'd' }])] } },
    );
    const r = await s.getResourceMetric('cpu', 'ns', sel, '');
    expect([...r.metrics.keys()]).toEqual(['a']);
  });

  it('fails when no pod has metrics, naming the first kubelet error', async () => {
    const { s } = session([pod('a', 'n1')], { n1: node('n1', 10250) }, {});
    await expect(s.getResourceMetric('cpu', 'ns', sel, '')).rejects.toThrow("no metrics returned from the kubelets' stats summary: connect ECONNREFUSED https://127.0.0.1:10250");
  });

  it('fails on a container the pod does not have (getContainerMetrics)', async () => {
    const { s } = session([pod('a', 'n1')], { n1: node('n1', 10250) }, { 'https://127.0.0.1:10250': { pods: [stats('a', [{ name: 'c', nano: 1e6 }])] } });
    await expect(s.getResourceMetric('cpu', 'ns', sel, 'sidecar')).rejects.toThrow('container sidecar not present in metrics for pod ns/a');
  });
});

describe('kubelet endpoint and fetch', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/stats/summary') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ node: { nodeName: 'n1' }, pods: [] }));
      } else {
        res.writeHead(404);
        res.end('404 page not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('finds the kubelet on the InternalIP and daemonEndpoints port', () => {
    expect(kubeletURL(node('n1', 10250, '10.0.0.5'))).toBe('https://10.0.0.5:10250');
    expect(kubeletURL(node('n1', 10250, 'fd00::1'))).toBe('https://[fd00::1]:10250');
    expect(kubeletURL(node('n1', undefined))).toBeUndefined();
  });

  it('GETs /stats/summary', async () => {
    expect(await fetchSummary(`http://127.0.0.1:${port}`)).toEqual({ node: { nodeName: 'n1' }, pods: [] });
  });
});
