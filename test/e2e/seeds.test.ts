// The seeds' nine scenarios end to end (issue 6) on one real three-node cluster started as a
// user starts it, `skiff up --nodes 3`: each node a network namespace with its own Docker
// engine, kubelet and kube-proxy; the stock kubectl on the admin kubeconfig; the nodes'
// engines read and broken through `docker`; `skiff node stop|start` and kill -9 of the
// control plane for failures. Each scenario lives in namespaces of its own. Traffic goes only
// to the nodes' addresses (10.250.0.0/24), pod IPs, and ClusterIPs from inside a node, in
// bounded loops.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/apiserver.js';
import * as M from '../support/seeds-manifests.js';
import { live, nodeStatus, podNames, pods, type PodView } from '../support/seeds-pods.js';
import { Caller, get, getEach } from '../support/seeds-traffic.js';
import { buildImage, leftovers, NODES, nodeIP, processAlive, removeBuiltImages, SkiffCluster } from '../support/skiff-up.js';

const c = new SkiffCluster();
/** Seconds without a Lease renewal before a node is NotReady (kubelets renew every 10 s). */
const UP_FLAGS = ['--node-monitor-grace-period', '20'];

const createNamespace = (ns: string) => c.k(['create', 'namespace', ns]);
/** Deletes a scenario's namespace without waiting; its pods get a 1 s grace period (hello-node ignores SIGTERM). */
async function dropNamespace(ns: string): Promise<void> {
  await c.k(['delete', 'namespace', ns, '--wait=false']);
  await c.k(['delete', 'pods', '--all', '-n', ns, '--grace-period=1', '--wait=false']);
}
const nodePort = async (ns: string, svc: string) => Number(await c.k(['get', 'svc', svc, '-n', ns, '-o', 'jsonpath={.spec.ports[0].nodePort}']));
const replicas = async (ns: string, deploy: string) => Number(await c.k(['get', 'deployment', deploy, '-n', ns, '-o', 'jsonpath={.spec.replicas}']));
/** Until exactly `n` pods of `ns` (matching `selector`) are Running and Ready, none being deleted. */
const untilLive = (ns: string, n: number, selector?: string, timeoutMs = 120_000) =>
  c.until(`${n} pods Running in ${ns}`, async () => {
    const ps = live(await pods(c, ns, selector));
    return ps.length === n && ps.every((p) => Object.values(p.containerIDs).every(Boolean)) && ps;
  }, timeoutMs);
const byNode = (ps: PodView[]) => ps.reduce((m, p) => m.set(p.node, (m.get(p.node) ?? 0) + 1), new Map<string, number>());

describe('the seeds\' scenarios on `skiff up --nodes 3`', () => {
  beforeAll(async () => {
    const r = await c.up(UP_FLAGS);
    expect(r.code, `skiff up --nodes 3 exited ${r.code}\n${r.stdout}\n${r.stderr}\n${c.logs()}`).toBe(0);
    const status = await nodeStatus(c);
    expect(Object.fromEntries(NODES.map((n) => [n, status.get(n)]))).toEqual(Object.fromEntries(NODES.map((n) => [n, 'Ready'])));
  }, 300_000);

  afterAll(async () => {
    await removeBuiltImages();
    const r = await c.down();
    expect(r.code, `skiff down --purge: ${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('1. hello-node, literally: built locally, loaded into the cluster, 4 replicas behind a NodePort answer Hello World! on every node', async () => {
    const ns = 'seeds-hello';
    await buildImage('hello-node:v1', join(ROOT, 'deploy/examples/hello-node'));
    await c.imageLoad('hello-node:v1');
    await createNamespace(ns);
    await c.k(['create', 'deployment', 'hello-node', '--image=hello-node:v1', '--replicas=4', '--port=8080', '-n', ns]);
    await c.k(['expose', 'deployment', 'hello-node', '--type=NodePort', '--port=8080', '-n', ns]);
    const running = await untilLive(ns, 4, 'app=hello-node', 180_000);
    expect(byNode(running).size, `pods spread over nodes: ${JSON.stringify([...byNode(running)])}`).toBeGreaterThan(1);
    const port = await nodePort(ns, 'hello-node');
    for (const node of NODES) {
      const url = `http://${nodeIP(node)}:${port}/`;
      await c.until(`Hello World! from ${url}`, async () => (await get(url)).trim() === 'Hello World!', 60_000);
      expect(await getEach(url, 8)).toEqual(Array(8).fill('Hello World!'));
    }
    await dropNamespace(ns);
  }, 420_000);

  it('2. the control loop: a ReplicaSet of 4 returns to 4 after containers are killed through Docker and pods deleted with kubectl', async () => {
    const ns = 'seeds-rs';
    await createNamespace(ns);
    await c.apply(M.replicaSet(ns));
    const [k1, k2, d1, d2] = await untilLive(ns, 4) as [PodView, PodView, PodView, PodView];
    for (const p of [k1, k2]) {
      // dockershim's names: k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT
      const ids = (await c.docker(p.node, ['ps', '-q', '--no-trunc', '--filter', `name=k8s_app_${p.name}_${ns}_${p.uid}_`])).trim().split('\n');
      expect(ids, `the running container of ${p.name} on ${p.node}`).toEqual([p.containerIDs.app]);
      await c.docker(p.node, ['kill', ids[0]!]);
    }
    await c.k(['delete', 'pod', d1.name, d2.name, '-n', ns, '--grace-period=1']);
    const after = await c.until('4 Running again, the killed containers restarted in place', async () => {
      const ps = live(await pods(c, ns));
      const restarted = [k1, k2].every((k) => ps.some((p) => p.uid === k.uid && p.restarts >= 1 && p.containerIDs.app !== k.containerIDs.app));
      return ps.length === 4 && restarted && ps;
    }, 180_000);
    expect(after.map((p) => p.name)).not.toContain(d1.name);
    expect(after.map((p) => p.name)).not.toContain(d2.name);
    expect((await pods(c, ns)).filter((p) => !p.deleting)).toHaveLength(4);
    expect(await c.k(['get', 'rs', 'my-rc', '-n', ns, '-o', 'jsonpath={.status.readyReplicas}/{.status.replicas}'])).toBe('4/4');
    await dropNamespace(ns);
  }, 300_000);

  it('3. labels and selectors: equality-based and set-based selections of App=MyApp pods by role and phase', async () => {
    const ns = 'seeds-labels';
    await createNamespace(ns);
    await c.apply(Object.entries(M.LABELLED_PODS).map(([name, labels]) => M.pausePod(ns, name, labels)).join('\n'));
    const select = (s: string) => podNames(c, ns, s);
    expect(await select('app=MyApp,role=FE')).toEqual(['pod/fe-prod', 'pod/fe-test']);
    expect(await select('app=MyApp,phase=prod')).toEqual(['pod/be-prod', 'pod/fe-prod']);
    expect(await select('role in (FE,BE),phase notin (test)')).toEqual(['pod/be-prod', 'pod/fe-prod', 'pod/other-fe-prod']);
    expect(await select('app=MyApp,role!=FE')).toEqual(['pod/be-prod', 'pod/be-test']);
    expect(await select('app notin (MyApp)')).toEqual(['pod/other-fe-prod']);
    expect(await select('!phase')).toEqual([]);
    // A Service groups pods by the same selector: its endpoints are the FE pods of MyApp.
    await c.k(['create', 'service', 'clusterip', 'frontend', '--tcp=80:8080', '-n', ns]);
    await c.k(['set', 'selector', 'service', 'frontend', 'app=MyApp,role=FE', '-n', ns]);
    const endpoints = await c.until('the frontend endpoints', async () => {
      const out = await c.k(['get', 'endpoints', 'frontend', '-n', ns, '-o', 'jsonpath={.subsets[*].addresses[*].targetRef.name}']);
      const names = out.split(/\s+/).filter(Boolean).sort();
      return names.length === 2 && names;
    }, 120_000);
    expect(endpoints).toEqual(['fe-prod', 'fe-test']);
    await dropNamespace(ns);
  }, 180_000);

  it('4. namespaces isolate names: the same pod name in two namespaces, kubectl get pods --namespace=X lists only X\'s', async () => {
    const [a, b] = ['seeds-team-a', 'seeds-team-b'];
    await createNamespace(a);
    await createNamespace(b);
    await c.apply([M.pausePod(a, 'web', { app: 'web' }), M.pausePod(a, 'only-in-a'), M.pausePod(b, 'web', { app: 'web' })].join('\n'));
    expect(await podNames(c, a)).toEqual(['pod/only-in-a', 'pod/web']);
    expect(await podNames(c, b)).toEqual(['pod/web']);
    const listB = await c.k(['get', 'pods', `--namespace=${b}`]);
    expect(listB).toMatch(/^web\s/m);
    expect(listB).not.toContain('only-in-a');
    const dup = await c.kubectl(['run', 'web', '--image=skiff/pause:3.10', '-n', a]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    const [wa, wb] = [await untilLive(a, 1, 'app=web'), await untilLive(b, 1, 'app=web')];
    expect(wa[0]!.uid).not.toBe(wb[0]!.uid);
    await c.k(['delete', 'pod', 'web', '-n', a, '--grace-period=1']);
    expect(await podNames(c, a)).toEqual(['pod/only-in-a']);
    expect((await untilLive(b, 1, 'app=web'))[0]!.uid).toBe(wb[0]!.uid);
    await dropNamespace(a);
    await dropNamespace(b);
  }, 180_000);

  it('5. the Pod as a group: a LogCollector sidecar reads the App\'s log through a shared volume; an init container copies sample.war for the web server', async () => {
    const ns = 'seeds-pod';
    await createNamespace(ns);
    await c.apply(`${M.appWithLogCollector(ns)}---${M.warPod(ns)}`);
    const collected = await c.until('the LogCollector showing the App\'s lines', async () => {
      const r = await c.kubectl(['logs', 'app-with-logcollector', '-c', 'logcollector', '-n', ns]);
      return r.code === 0 && /^app line 3$/m.test(r.stdout) && r.stdout;
    }, 120_000);
    expect(collected).toMatch(/^app line 1\napp line 2\napp line 3$/m);
    // The App prints nothing itself: its lines reached the sidecar through the volume.
    expect((await c.k(['logs', 'app-with-logcollector', '-c', 'app', '-n', ns])).trim()).toBe('');

    const javaweb = (await untilLive(ns, 2)).find((p) => p.name === 'javaweb');
    expect(javaweb, 'javaweb Running').toBeDefined();
    const pod = await c.json<{ status: { initContainerStatuses?: { name: string; state: { terminated?: { reason?: string; exitCode?: number } } }[] } }>(['get', 'pod', 'javaweb', '-n', ns]);
    expect(pod.status.initContainerStatuses?.[0]?.state.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
    expect(await c.k(['exec', 'javaweb', '-c', 'tomcat', '-n', ns, '--', 'ls', '/root/apache-tomcat/webapps'])).toContain('sample.war');
    expect(await get(`http://${javaweb!.ip}:8080/sample.war`)).toMatch(/^sample\.war built /);
    await dropNamespace(ns);
  }, 300_000);

  it('6. node failure: a stopped node goes NotReady, its pods come back on the two others; started again, it is Ready and used again', async () => {
    const ns = 'seeds-failover';
    const victim = 'skiff-node-2';
    await createNamespace(ns);
    await c.apply(M.failoverDeployment(ns, 6));
    const spread = byNode(await untilLive(ns, 6));
    expect([...spread.keys()].sort(), `6 pods over the 3 nodes: ${JSON.stringify([...spread])}`).toEqual([...NODES]);

    await c.nodeStop(victim);
    await c.until(`${victim} NotReady in kubectl get nodes`, async () => (await nodeStatus(c)).get(victim) === 'NotReady', 120_000);
    const moved = await c.until('6 pods Running on the two other nodes', async () => {
      const ps = live(await pods(c, ns));
      return ps.length === 6 && ps.every((p) => p.node !== victim) && ps;
    }, 180_000);
    expect(byNode(moved).size).toBe(2);
    const lost = (await pods(c, ns)).filter((p) => p.node === victim);
    expect(lost.length, 'the lost node\'s pods, evicted').toBe(spread.get(victim));
    expect(lost.every((p) => p.deleting)).toBe(true);

    await c.nodeStart(victim);
    await c.until(`${victim} Ready again`, async () => (await nodeStatus(c)).get(victim) === 'Ready', 180_000);
    await c.until('the evicted pods gone once their node is back', async () => (await pods(c, ns)).every((p) => p.node !== victim), 120_000);
    await c.k(['scale', 'deployment', 'failover', '--replicas=9', '-n', ns]);
    const back = await untilLive(ns, 9);
    expect(byNode(back).get(victim) ?? 0, `new pods on ${victim}: ${JSON.stringify([...byNode(back)])}`).toBeGreaterThan(0);
    await dropNamespace(ns);
  }, 600_000);

  it('7. rolling update and rollback behind a Service: clients calling it throughout see both versions and no failed request', async () => {
    const ns = 'seeds-rollout';
    for (const v of ['v1', 'v2']) {
      const context = mkdtempSync(join(tmpdir(), `seeds-web-${v}-`));
      writeFileSync(join(context, 'Dockerfile'), M.webDockerfile);
      writeFileSync(join(context, 'index.html'), `web ${v}\n`);
      await buildImage(`seeds-web:${v}`, context);
      rmSync(context, { recursive: true, force: true });
      await c.imageLoad(`seeds-web:${v}`);
    }
    await createNamespace(ns);
    await c.apply(M.webDeployment(ns, 'seeds-web:v1'));
    const rollout = () => c.k(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=240s'], { timeoutMs: 260_000 });
    await rollout();
    const port = await nodePort(ns, 'web');
    const urls = NODES.map((n) => `http://${nodeIP(n)}:${port}/`);
    await c.until('web v1 on every node\'s NodePort', async () => (await Promise.all(urls.map((u) => get(u)))).every((b) => b.trim() === 'web v1'), 60_000);
    await c.apply(M.webClient(ns, 3000));
    await c.until('the in-cluster client answered through the ClusterIP', async () => (await c.k(['logs', 'client', '-n', ns])).includes('ok web v1'), 120_000);

    const caller = new Caller(urls, { everyMs: 100, maxRequests: 4000, maxMs: 480_000 });
    const answering = (v: string, n: number) =>
      c.until(`the last ${n} answers all ${v}`, async () => caller.report.sequence.length >= n && caller.report.sequence.slice(-n).every((b) => b === v), 120_000);
    await c.k(['set', 'image', 'deployment/web', 'web=seeds-web:v2', '-n', ns]);
    await rollout();
    await answering('web v2', 10);
    await c.k(['rollout', 'undo', 'deployment/web', '-n', ns]);
    await rollout();
    await answering('web v1', 20);
    const report = await caller.stop();

    expect(report.failures, 'failed requests to the NodePorts').toEqual([]);
    expect([...report.answers.keys()].sort()).toEqual(['web v1', 'web v2']);
    const lines = (await c.k(['logs', 'client', '-n', ns])).split('\n').filter(Boolean);
    const served = lines.slice(lines.findIndex((l) => l.startsWith('ok ')));
    expect(served.filter((l) => !l.startsWith('ok ')), 'failed requests of the in-cluster client').toEqual([]);
    expect(new Set(served)).toEqual(new Set(['ok web v1', 'ok web v2']));
    expect(served.at(-1)).toBe('ok web v1');
    expect(await c.k(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe('seeds-web:v1');
    await dropNamespace(ns);
  }, 720_000);

  it('8. HPA: a CPU-burning Deployment scales up under load and back down when the load stops', async () => {
    const ns = 'seeds-hpa';
    await createNamespace(ns);
    await c.apply(M.burnerDeployment(ns));
    await untilLive(ns, 1);
    await c.k(['autoscale', 'deployment', 'burner', '--cpu-percent=50', '--min=1', '--max=4', '-n', ns]);
    // The controller's scale-down stabilization window is 300 s, as upstream's; users shorten it per HPA (autoscaling/v2 behavior).
    await c.k(['patch', 'hpa', 'burner', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 20 } } } })]);
    const utilization = await c.until('the HPA measuring the burner above its 50% target', async () => {
      const u = Number(await c.k(['get', 'hpa', 'burner', '-n', ns, '-o', 'jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}']));
      return u > 50 && u;
    }, 180_000);
    expect(utilization).toBeGreaterThan(50);
    await c.until('the HPA scaling burner up to its max of 4', async () => (await replicas(ns, 'burner')) === 4, 240_000);
    await untilLive(ns, 4, undefined, 180_000);

    await c.k(['set', 'env', 'deployment/burner', 'LOAD=off', '-n', ns]);
    await c.until('the HPA scaling burner back down to 1', async () => (await replicas(ns, 'burner')) === 1, 420_000, 2000);
    await dropNamespace(ns);
  }, 900_000);

  it('9. kill -9 of the whole control plane: pods keep running; `skiff up` again restores it with nothing lost or duplicated', async () => {
    const ns = 'seeds-restart';
    await createNamespace(ns);
    await c.apply(M.steadyWorkloads(ns));
    const before = await untilLive(ns, 6);
    const port = await nodePort(ns, 'steady');
    const urls = NODES.map((n) => `http://${nodeIP(n)}:${port}/`);
    await c.until('steady on every node\'s NodePort', async () => (await Promise.all(urls.map((u) => get(u)))).every((b) => b.startsWith('Hello World!')), 60_000);
    const objects = async () => [
      await c.k(['get', 'namespace', ns, '-o', 'jsonpath={.kind}/{.metadata.name} {.metadata.uid}']),
      ...(await c.k(['get', 'deployments,replicasets,services,configmaps,pods', '-n', ns, '-o', 'custom-columns=KIND:.kind,NAME:.metadata.name,UID:.metadata.uid', '--no-headers'])).trim().split('\n').sort(),
    ];
    const snapshot = await objects();
    const clusterIP = (await c.k(['get', 'svc', 'steady', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}'])).trim();

    const pids = Object.values(c.controlPlanePids());
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await c.until('the control plane gone', async () => pids.every((pid) => !processAlive(pid)), 10_000, 100);
    expect((await c.kubectl(['get', 'pods', '-n', ns], { timeoutMs: 30_000 })).code, 'kubectl with no apiserver').not.toBe(0);
    const outage = await new Caller(urls, { everyMs: 500, maxRequests: 20, maxMs: 60_000 }).done;
    expect(outage.failures, 'the NodePort while the control plane is down').toEqual([]);
    for (const p of before) for (const id of Object.values(p.containerIDs)) expect((await c.docker(p.node, ['inspect', '-f', '{{.State.Running}}', id])).trim()).toBe('true');

    const r = await c.up(UP_FLAGS);
    expect(r.code, `skiff up again exited ${r.code}\n${r.stdout}\n${r.stderr}\n${c.logs()}`).toBe(0);
    // Watched for 20 s while the controllers resync: the same objects (same UIDs), no pod added or replaced, the Service answering.
    const watchEnd = Date.now() + 20_000;
    for (let i = 0; i < 200 && Date.now() < watchEnd; i++) {
      expect(await objects()).toEqual(snapshot);
      expect(await get(urls[i % urls.length]!)).toMatch(/^Hello World! from steady-/);
    }
    const after = await untilLive(ns, 6);
    for (const p of after) expect(p.containerIDs, `containers of ${p.name}`).toEqual(before.find((b) => b.uid === p.uid)?.containerIDs);
    const rs = await c.json<{ items: { metadata: { name: string }; spec: { replicas: number }; status: { replicas?: number; readyReplicas?: number } }[] }>(['get', 'rs', '-n', ns]);
    for (const s of rs.items) expect({ name: s.metadata.name, replicas: s.status.replicas, ready: s.status.readyReplicas }).toEqual({ name: s.metadata.name, replicas: s.spec.replicas, ready: s.spec.replicas });
    for (const u of urls) expect((await getEach(u, 3)).every((b) => b.startsWith('Hello World! from steady-'))).toBe(true);
    const fromNode = await c.until('the ClusterIP answering inside a node', async () => {
      const res = await c.inNode(NODES[0], ['curl', '-sS', '-m', '3', `http://${clusterIP}:8080/`]);
      return res.code === 0 && res.stdout;
    }, 60_000);
    expect(fromNode).toMatch(/^Hello World! from steady-/);
    const resolved = await c.until('the cluster DNS answering inside a node', async () => {
      const res = await c.inNode(NODES[0], [process.execPath, '-e', `const d=require('dns');d.setServers(['10.96.0.10']);d.resolve4('steady.${ns}.svc.cluster.local',(e,a)=>{if(e){console.error(e.message);process.exit(1)}console.log(a.join(','))})`]);
      return res.code === 0 && res.stdout.trim();
    }, 60_000);
    expect(resolved).toBe(clusterIP);
  }, 600_000);
});
