import https from 'node:https';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { nodeStatus } from './node.js';
import { type KubeletServer, nodeSummary, podStats, serveKubeletAPI } from './stats.js';

const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T10:00:10Z');

const running = (name: string, annotations: Record<string, string>, containers = ['app']): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, annotations },
  spec: { nodeName: 'hollow-0', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  status: {
    phase: 'Running',
    startTime: '2024-05-01T10:00:00Z',
    containerStatuses: containers.map((c) => ({ name: c, ready: true, state: { running: { startedAt: '2024-05-01T10:00:00Z' } } })),
  },
});

describe('hollow Summary API', () => {
  it('gives each container of a running pod the annotated cpu and memory', () => {
    const s = podStats(running('web', { 'skiff.dev/hollow-cpu': '250m', 'skiff.dev/hollow-memory': '64Mi' }, ['app', 'sidecar']), T1)!;
    expect(s.podRef).toEqual({ name: 'web', namespace: 'ns', uid: 'uid-web' });
    expect(s.containers.map((c) => [c.name, c.cpu.usageNanoCores, c.memory.workingSetBytes])).toEqual([
      ['app', 250_000_000, 67108864],
      ['sidecar', 250_000_000, 67108864],
    ]);
    expect(s.containers[0]!.cpu).toEqual({ time: '2024-05-01T10:00:10Z', usageNanoCores: 250_000_000, usageCoreNanoSeconds: 2_500_000_000 });
    expect(s.cpu.usageNanoCores).toBe(500_000_000);
    expect(s.memory.workingSetBytes).toBe(2 * 67108864);
  });

  it('reports zero usage without annotations or with a malformed one, and nothing for pods not running', () => {
    expect(podStats(running('idle', {}), T1)!.cpu.usageNanoCores).toBe(0);
    expect(podStats(running('bad', { 'skiff.dev/hollow-cpu': 'lots' }), T1)!.cpu.usageNanoCores).toBe(0);
    const pending = running('p', { 'skiff.dev/hollow-cpu': '1' });
    pending.status.phase = 'Pending';
    expect(podStats(pending, T1)).toBeUndefined();
  });

  it('sums the pods into the node and reports available memory against capacity', () => {
    const s = nodeSummary('hollow-0', [running('a', { 'skiff.dev/hollow-cpu': '1', 'skiff.dev/hollow-memory': '1Gi' }), running('b', { 'skiff.dev/hollow-cpu': '500m' })], '8Gi', T0, T1);
    expect(s.node.nodeName).toBe('hollow-0');
    expect(s.node.cpu.usageNanoCores).toBe(1_500_000_000);
    expect(s.node.memory.workingSetBytes).toBe(1024 ** 3);
    expect(s.node.memory.availableBytes).toBe(7 * 1024 ** 3);
    expect(s.pods.map((p) => p.podRef.name)).toEqual(['a', 'b']);
  });

  it('advertises the kubelet port in the node status', () => {
    expect(nodeStatus('n', { cpu: '4', memory: '8Gi', maxPods: 110 }, T0, undefined, 10250).daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(nodeStatus('n', { cpu: '4', memory: '8Gi', maxPods: 110 }, T0).daemonEndpoints).toBeUndefined();
  });
});

describe('hollow kubelet API server', () => {
  const servers: KubeletServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const get = (port: number, path: string) =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  const log = pino({ level: 'silent' });

  it('serves /stats/summary and /healthz on loopback, 404 elsewhere', async () => {
    const summary = nodeSummary('hollow-0', [running('a', { 'skiff.dev/hollow-cpu': '200m' })], '8Gi', T0, T1);
    const s = await serveKubeletAPI('hollow-0', 0, () => summary, log);
    servers.push(s);
    const r = await get(s.port, '/stats/summary');
    expect(r.code).toBe(200);
    expect(JSON.parse(r.body).pods[0].containers[0].cpu.usageNanoCores).toBe(200_000_000);
    expect((await get(s.port, '/healthz')).body).toBe('ok');
    expect((await get(s.port, '/pods')).code).toBe(404);
  });

  it('falls back to a free port when the wanted one is taken', async () => {
    const first = await serveKubeletAPI('a', 0, () => nodeSummary('a', [], '8Gi', T0, T1), log);
    servers.push(first);
    const second = await serveKubeletAPI('b', first.port, () => nodeSummary('b', [], '8Gi', T0, T1), log);
    servers.push(second);
    expect(second.port).not.toBe(first.port);
    expect(JSON.parse((await get(second.port, '/stats/summary')).body).node.nodeName).toBe('b');
  });
});
