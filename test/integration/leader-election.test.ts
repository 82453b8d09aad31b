// Two controller-managers: only the leader acts; kill -9 the leader in the middle of a
// scale-up from 0 to 50 and the standby takes over, ending with exactly 50 pods, never more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { startApiserver, startControllerManager, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';

const NS = 'leader-election';
const ELECTION = ['--controllers', 'replicaset', '--leader-elect-lease-duration', '4', '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '1', '--v', 'info'];

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('controller-manager leader election', () => {
  let api: ApiserverProcess;
  let client: Client;
  const managers: ComponentProcess[] = [];
  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
  });
  afterAll(async () => {
    for (const m of managers) await m.stop();
    await api?.cleanup();
  });

  it('lets only the leader act, and hands over on kill -9 without ever over-creating', async () => {
    managers.push(await startControllerManager(api.url, ELECTION), await startControllerManager(api.url, ELECTION));
    const lease = await until('a leader', async () => {
      try {
        const l = await client.get(R.leases, 'kube-system', 'kube-controller-manager');
        return l.spec?.holderIdentity ? l : undefined;
      } catch {
        return undefined;
      }
    });
    const leaderPid = Number(String(lease.spec.holderIdentity).split('_').pop());
    const leader = managers.find((m) => m.proc.pid === leaderPid)!;
    const standby = managers.find((m) => m !== leader)!;
    expect(leader).toBeDefined();

    // Watch every pod event and remember the most pods that ever existed at once.
    const live = new Set<string>();
    let most = 0;
    const abort = new AbortController();
    const watching = (async () => {
      const list = await client.list(R.pods, NS);
      for await (const e of client.watch(R.pods, NS, { resourceVersion: list.metadata.resourceVersion }, abort.signal)) {
        if (e.type === 'ADDED') live.add(e.object.metadata.name!);
        if (e.type === 'DELETED') live.delete(e.object.metadata.name!);
        most = Math.max(most, live.size);
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });

    const rs: KubeObject = {
      metadata: { name: 'burst' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'burst' } }, template: { metadata: { labels: { app: 'burst' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    await client.create(R.replicasets, NS, rs);
    await client.patch(R.replicasets, NS, 'burst', { spec: { replicas: 50 } });
    // Kill the leader while its creates are in flight.
    await until('the scale-up to start', async () => (live.size > 0 ? true : undefined));
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await until('the standby to lead', async () => (/became leader/.test(standby.output()) ? true : undefined), 20_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);

    await until('50 pods', async () => ((await client.list(R.pods, NS)).items.length === 50 ? true : undefined), 60_000);
    // Give a wrongly double-counting controller time to over-create, then check.
    await new Promise((r) => setTimeout(r, 2_000));
    abort.abort();
    await watching;
    expect((await client.list(R.pods, NS)).items).toHaveLength(50);
    expect(most).toBeLessThanOrEqual(50);
    expect(standby.output()).toMatch(/became leader/);
    // Before the takeover the standby never ran its controllers.
    const standbyLog = standby.output();
    expect(standbyLog.indexOf('controllers running')).toBeGreaterThan(standbyLog.indexOf('became leader'));
  });
});
