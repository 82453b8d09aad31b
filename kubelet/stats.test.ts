import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { containerMemory, dockerTimeMs, nanoCores, parseMeminfo, parseProcStat, StatsProvider, type DockerStats } from './stats.js';

const log = pino({ level: 'silent' });
const labels = (pod: string, container: string) => ({
  'io.kubernetes.pod.uid': `uid-${pod}`,
  'io.kubernetes.pod.namespace': 'ns',
  'io.kubernetes.pod.name': pod,
  'io.kubernetes.container.name': container,
});

const meminfo = 'MemTotal:       1000 kB\nMemFree:         400 kB\nMemAvailable:    500 kB\nInactive(file):  100 kB\nAnonPages:       300 kB\n';
const procStat = (busy: number) => `cpu  ${busy} 0 0 5000 10 0 0 0 0 0\ncpu0 1 2 3\nbtime 1700000000\n`;

/** A fake Docker whose containers' cumulative cpu grows by `rate` ns per ms of the fake clock. */
function fakeDocker(clock: { ms: number }, containers: { id: string; labels: Record<string, string>; rate: number }[], calls: object[]) {
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    listContainers: async () => containers.map((c) => ({ Id: c.id, Labels: c.labels, Created: 1_700_000_100 })),
    getContainer: (id: string) => ({
      stats: async (opts: object): Promise<DockerStats> => {
        calls.push(opts);
        const c = containers.find((x) => x.id === id);
        if (!c) throw Object.assign(new Error('gone'), { statusCode: 404 });
        const oneShot = (opts as { 'one-shot'?: boolean })['one-shot'];
        return {
          read: at(clock.ms),
          preread: oneShot ? '0001-01-01T00:00:00Z' : at(clock.ms - 1000),
          cpu_stats: { cpu_usage: { total_usage: c.rate * clock.ms } },
          precpu_stats: { cpu_usage: { total_usage: oneShot ? 0 : c.rate * (clock.ms - 1000) } },
          memory_stats: { usage: 5000, stats: { total_inactive_file: 1000, total_rss: 3000 } },
        };
      },
    }),
  } as never;
}

describe('stats computations', () => {
  it('rates, working set, /proc parsing', () => {
    expect(nanoCores({ usageNs: 0, atMs: 0 }, { usageNs: 500_000_000, atMs: 1000 })).toBe(500_000_000);
    expect(nanoCores(undefined, { usageNs: 1, atMs: 1 })).toBeUndefined();
    expect(nanoCores({ usageNs: 10, atMs: 5 }, { usageNs: 5, atMs: 6 })).toBeUndefined(); // counter reset
    expect(dockerTimeMs('2026-11-22T01:53:11.227324292Z')).toBeCloseTo(Date.parse('2026-11-22T01:53:11.227Z') + 0.324292, 3);
    expect(dockerTimeMs('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(containerMemory({ usage: 100, stats: { inactive_file: 30, anon: 50 } }, 't')).toEqual({ time: 't', usageBytes: 100, workingSetBytes: 70, rssBytes: 50 }); // cgroup v2
    expect(containerMemory({ usage: 100, stats: { total_inactive_file: 300 } }, 't')?.workingSetBytes).toBe(0);
    expect(parseProcStat(procStat(250))).toEqual({ busyNs: 2_500_000_000, bootTime: new Date(1_700_000_000_000) });
    expect(parseMeminfo(meminfo, 't')).toEqual({ time: 't', usageBytes: 600 * 1024, workingSetBytes: 500 * 1024, rssBytes: 300 * 1024, availableBytes: 500 * 1024 });
  });
});

describe('StatsProvider', () => {
  it('sums containers and the sandbox per pod, keeps samples, and caches for 1 s', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const calls: object[] = [];
    const containers = [
      { id: 'a', labels: labels('web', 'app'), rate: 500_000 }, // 0.5 core
      { id: 'b', labels: labels('web', 'POD'), rate: 1_000 },
      { id: 'c', labels: labels('db', 'main'), rate: 100_000 },
    ];
    let busy = 0;
    const p = new StatsProvider({ docker: fakeDocker(clock, containers, calls), nodeName: 'n1', log, now: () => new Date(clock.ms), readProc: async (f) => (f === '/proc/stat' ? procStat(busy) : meminfo) });
    const s1 = await p.summary();
    expect(calls.every((o) => (o as { 'one-shot': boolean })['one-shot'] === false)).toBe(true); // first sight: Docker's two samples
    expect(s1.pods.map((x) => x.podRef.name)).toEqual(['db', 'web']);
    const web = s1.pods[1];
    expect(web.containers).toEqual([expect.objectContaining({ name: 'app', cpu: expect.objectContaining({ usageNanoCores: 500_000_000 }), memory: expect.objectContaining({ workingSetBytes: 4000 }) })]);
    expect(web.cpu.usageNanoCores).toBe(501_000_000);
    expect(web.memory.workingSetBytes).toBe(8000);
    expect(s1.node.nodeName).toBe('n1');

    clock.ms += 500;
    expect(await p.summary()).toBe(s1); // cached
    calls.length = 0;
    clock.ms += 1500;
    busy += 100; // 1 s of cpu over 2 s on the node
    containers.splice(2, 1); // db gone
    const s2 = await p.summary();
    expect(calls.every((o) => (o as { 'one-shot': boolean })['one-shot'] === true)).toBe(true); // a kept sample: one read
    expect(s2.pods.map((x) => x.podRef.name)).toEqual(['web']);
    expect(s2.pods[0].containers[0].cpu.usageNanoCores).toBe(500_000_000);
    expect(s2.node.cpu.usageNanoCores).toBe(500_000_000);
  });
});
