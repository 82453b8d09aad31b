// The pod network, kube-proxy and the cluster DNS on a real one-node cluster: real Docker,
// real iptables, the stock kubectl. Traffic goes only to the node's own addresses, pods,
// ClusterIPs and a network namespace of the test's own, in bounded loops.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_DNS, NodeCluster, sh } from '../support/cluster.js';

const NS = 'net-e2e';
const NODE_IP = '10.250.255.1';
const CLIENT_IP = '10.250.255.2';

// Each backend answers its pod name on /, and the caller's address on /cgi-bin/ip.
const BACKEND_SCRIPT = [
  'mkdir -p /www/cgi-bin',
  'echo "$POD_NAME" > /www/index.html',
  // busybox httpd gives REMOTE_ADDR as [::ffff:a.b.c.d]: the CGI prints a.b.c.d.
  'printf \'#!/bin/sh\\necho "Content-Type: text/plain"\\necho\\necho "$REMOTE_ADDR" | sed -e "s/^.*://" -e "s/]$//"\\n\' > /www/cgi-bin/ip',
  'chmod +x /www/cgi-bin/ip',
  'exec httpd -f -p 8080 -h /www',
].join('; ');

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: skiff/busybox:1.35
        command: [sh, -c, ${JSON.stringify(BACKEND_SCRIPT)}]
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np, namespace: ${NS}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-local, namespace: ${NS}}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-sticky, namespace: ${NS}}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: ${NS}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-ext-lb, namespace: ${NS}}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/external
  selector: {app: web}
  ports: [{name: http, port: 8081, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: skiff/busybox:1.35
    command: [sleep, '3600']
`;

const LB_POOL = '10.250.253.0/29';
const cluster = new NodeCluster({ name: 'net', nodeIP: NODE_IP, clientIP: CLIENT_IP, kubeProxyArgs: ['--lb-ip-pool', LB_POOL] });
const k = () => cluster.kubectl;

/** Runs a shell snippet in the client pod. */
const inPod = (script: string, pod = 'client') => k().ok(['exec', '-n', NS, pod, '--', 'sh', '-c', script], { timeoutMs: 120_000 });

/** `n` GETs of a URL from the client pod, one answer (or error) per line. */
async function getsFromPod(url: string, n: number, pod = 'client'): Promise<string[]> {
  const out = await inPod(`i=0; while [ $i -lt ${n} ]; do wget -q -O- ${url} 2>&1 || echo FAILED; i=$((i+1)); done`, pod);
  return out.trim().split('\n');
}

function count(lines: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** One GET from this process (the node itself), with a hard time bound. */
function get(url: string, timeoutMs = 3000): Promise<{ status: number; body: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(Object.assign(err, { ms: Date.now() - t0 })));
    req.end();
  });
}

async function readyAddresses(name: string): Promise<string[]> {
  const ep = JSON.parse(await k().ok(['get', 'endpoints', name, '-n', NS, '-o', 'json']));
  return (ep.subsets ?? []).flatMap((s: { addresses?: { ip: string }[] }) => (s.addresses ?? []).map((a) => a.ip));
}

async function webPods(): Promise<{ name: string; ip: string }[]> {
  const list = JSON.parse(await k().ok(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'json']));
  return list.items.filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp).map((p: { metadata: { name: string }; status: { podIP: string } }) => ({ name: p.metadata.name, ip: p.status.podIP }));
}

async function clusterIP(name: string): Promise<string> {
  return k().ok(['get', 'svc', name, '-n', NS, '-o', 'jsonpath={.spec.clusterIP}']);
}

async function nodePort(name: string): Promise<number> {
  return Number(await k().ok(['get', 'svc', name, '-n', NS, '-o', 'jsonpath={.spec.ports[0].nodePort}']));
}

async function skiffRules(): Promise<string> {
  const dump = await sh('iptables-save', []);
  return dump
    .split('\n')
    .filter((l) => l.includes('SKIFF-'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .join('\n');
}

describe('pod network, kube-proxy and cluster DNS on one node', () => {
  beforeAll(async () => {
    await cluster.start();
    await k().ok(['create', 'namespace', NS]);
    await k().ok(['apply', '-f', '-'], { stdin: manifests });
    await cluster.until('3 ready endpoints of web', async () => (await readyAddresses('web')).length === 3);
    await k().ok(['wait', '-n', NS, '--for=condition=Ready', 'pod/client', '--timeout=90s'], { timeoutMs: 100_000 });
  }, 240_000);

  afterAll(async () => {
    await cluster.cleanup();
  }, 120_000);

  it('gives every pod an IP from the node\'s podCIDR and the cluster resolv.conf', async () => {
    const cidr = await k().ok(['get', 'node', cluster.node, '-o', 'jsonpath={.spec.podCIDR}']);
    expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
    const prefix = cidr.split('.').slice(0, 3).join('.') + '.';
    for (const p of await webPods()) expect(p.ip.startsWith(prefix)).toBe(true);
    const resolv = await inPod('cat /etc/resolv.conf');
    expect(resolv).toContain(`nameserver ${CLUSTER_DNS}`);
    expect(resolv).toContain(`search ${NS}.svc.cluster.local svc.cluster.local cluster.local`);
    expect(resolv).toContain('options ndots:5');
    expect(await inPod('cat /etc/hosts')).toMatch(/\tclient\n/);
  });

  it('balances a ClusterIP Service, by DNS name and by IP, over all three backends', async () => {
    const ip = await clusterIP('web');
    const pods = (await webPods()).map((p) => p.name).sort();
    for (const url of [`http://web.${NS}.svc.cluster.local/`, `http://${ip}/`]) {
      const seen = count(await getsFromPod(url, 300));
      expect([...seen.keys()].sort(), url).toEqual(pods);
      for (const name of pods) expect(seen.get(name)!, `${url} → ${name}`).toBeGreaterThanOrEqual(50);
    }
  }, 180_000);

  it('resolves Services, short names through the search path, and pods', async () => {
    const ip = await clusterIP('web');
    expect(await inPod(`nslookup web.${NS}.svc.cluster.local ${CLUSTER_DNS}`)).toContain(ip);
    expect((await getsFromPod('http://web/', 1))[0]).toMatch(/^web-/);
    const client = JSON.parse(await k().ok(['get', 'pod', 'client', '-n', NS, '-o', 'json']));
    const dashed = client.status.podIP.replaceAll('.', '-');
    expect(await inPod(`nslookup ${dashed}.${NS}.pod.cluster.local ${CLUSTER_DNS}`)).toContain(client.status.podIP);
    const miss = await k().run(['exec', '-n', NS, 'client', '--', 'nslookup', `nothing.${NS}.svc.cluster.local`, CLUSTER_DNS]);
    expect(miss.stdout + miss.stderr).toMatch(/NXDOMAIN|can't find/);
  });

  it('never NATs pod to pod: the receiver sees the sender\'s pod IP, directly and through a ClusterIP', async () => {
    const client = JSON.parse(await k().ok(['get', 'pod', 'client', '-n', NS, '-o', 'json']));
    const [backend] = await webPods();
    expect((await getsFromPod(`http://${backend!.ip}:8080/cgi-bin/ip`, 1))[0]).toBe(client.status.podIP);
    expect(count(await getsFromPod(`http://${await clusterIP('web')}/cgi-bin/ip`, 10))).toEqual(new Map([[client.status.podIP, 10]]));
  });

  it('lets a pod reach itself through its own Service (hairpin)', async () => {
    const pods = await webPods();
    const answers = await getsFromPod(`http://web.${NS}.svc.cluster.local/`, 30, pods[0]!.name);
    expect(answers.filter((a) => a === 'FAILED')).toEqual([]);
    expect(answers).toContain(pods[0]!.name);
  });

  it('keeps a ClientIP-affine caller on one backend', async () => {
    const seen = count(await getsFromPod(`http://web-sticky.${NS}.svc.cluster.local/`, 30));
    expect(seen.size).toBe(1);
  });

  it('serves a NodePort on the node\'s InternalIP and on 127.0.0.1', async () => {
    const port = await nodePort('web-np');
    const pods = (await webPods()).map((p) => p.name).sort();
    for (const host of [NODE_IP, '127.0.0.1']) {
      const seen = new Set<string>();
      for (let i = 0; i < 60 && seen.size < pods.length; i++) {
        const r = await get(`http://${host}:${port}/`);
        expect(r.status).toBe(200);
        seen.add(r.body);
      }
      expect([...seen].sort(), host).toEqual(pods);
    }
  });

  it('keeps an outside caller\'s source IP with externalTrafficPolicy Local, masquerades it with Cluster', async () => {
    const local = await nodePort('web-local');
    const clusterPolicy = await nodePort('web-np');
    const viaLocal = await cluster.inClient(['busybox', 'wget', '-q', '-O-', `http://${NODE_IP}:${local}/cgi-bin/ip`]);
    expect(viaLocal.trim()).toBe(CLIENT_IP);
    const viaCluster = await cluster.inClient(['busybox', 'wget', '-q', '-O-', `http://${NODE_IP}:${clusterPolicy}/cgi-bin/ip`]);
    expect(viaCluster.trim()).not.toBe(CLIENT_IP);
    expect(viaCluster.trim()).toMatch(/^10\.244\.\d+\.1$/);
    // 127.0.0.1:NodePort is the node's own: packets to 127.0.0.0/8 from elsewhere are dropped (route_localnet's mitigation).
    const firewall = await sh('iptables', ['-w', '5', '-S', 'SKIFF-FIREWALL']);
    expect(firewall).toMatch(/-A SKIFF-FIREWALL (?=.*! -s 127\.0\.0\.0\/8)(?=.*-d 127\.0\.0\.0\/8)(?=.*--ctstate RELATED,ESTABLISHED,DNAT).*-j DROP/);
  });

  it('gives a LoadBalancer Service the node\'s address as its ingress, served on the Service\'s port', async () => {
    const ingress = await cluster.until('the web-lb ingress', async () => (await k().ok(['get', 'svc', 'web-lb', '-n', NS, '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])) || undefined);
    expect(ingress).toBe(NODE_IP);
    expect(await k().ok(['get', 'svc', 'web-lb', '-n', NS])).toMatch(new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${NODE_IP.replaceAll('.', '\\.')}\\s+80:3\\d{4}/TCP`));
    const answer = await cluster.inClient(['busybox', 'wget', '-q', '-O-', `http://${NODE_IP}/`]);
    expect(answer.trim()).toMatch(/^web-/);
  });

  it('owns a load-balancer address of --lb-ip-pool set by another controller: announced on the node and served', async () => {
    const lbIP = '10.250.253.3';
    await k().ok(['patch', 'svc', 'web-ext-lb', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: lbIP, ipMode: 'VIP' }] } } })]);
    await cluster.until('the pool address on skiff-lb0', async () => (await sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'skiff-lb0'])).includes(`${lbIP}/32`));
    const r = await cluster.until('the pool address answering', async () => get(`http://${lbIP}:8081/`).catch(() => undefined));
    expect(r.body).toMatch(/^web-/);
    await k().ok(['patch', 'svc', 'web-ext-lb', '-n', NS, '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":null}}}']);
    await cluster.until('the pool address withdrawn', async () => !(await sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'skiff-lb0'])).includes(lbIP));
    // The service range is still routed to its device (withdrawing the device's last address would have flushed it).
    expect(await sh('ip', ['route', 'get', '10.96.255.254'])).toContain('dev skiff-svc0');
  });

  it('serves kube-proxy\'s /healthz and /metrics', async () => {
    const line = cluster.proxy.output().split('\n').find((l) => l.includes('proxy rules synced'))!;
    const { healthz, metrics } = JSON.parse(line) as { healthz: string; metrics: string };
    const h = await get(`http://${healthz}/healthz`);
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body)).toMatchObject({ nodeName: cluster.node, nodeHealthy: true });
    const m = await get(`http://${metrics}/metrics`);
    expect(m.body).toMatch(/kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/);
    expect(m.body).toMatch(/kubeproxy_sync_proxy_rules_iptables_total\{table="nat"\} [1-9]/);
    expect(m.body).toMatch(/kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/);
  });

  it('routes another node\'s podCIDR via its InternalIP while the node exists (host-gw)', async () => {
    const other = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'net-other' }, spec: { podCIDR: '10.244.77.0/24', podCIDRs: ['10.244.77.0/24'] } };
    await k().ok(['create', '-f', '-'], { stdin: JSON.stringify(other) });
    await k().ok(['patch', 'node', 'net-other', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: CLIENT_IP }] } })]);
    const route = await cluster.until('the route to net-other\'s pods', async () => (await sh('ip', ['route', 'show', '10.244.77.0/24'])).trim() || undefined);
    expect(route).toMatch(new RegExp(`^10\\.244\\.77\\.0/24 via ${CLIENT_IP.replaceAll('.', '\\.')} dev \\S+ proto 77`));
    expect(await sh('ip', ['route', 'get', '10.244.77.9'])).toContain(`via ${CLIENT_IP}`);
    await k().ok(['delete', 'node', 'net-other']);
    await cluster.until('the route removed', async () => (await sh('ip', ['route', 'show', '10.244.77.0/24'])).trim() === '');
    expect(await sh('ip', ['route', 'get', '10.244.77.9']).catch((e: Error) => e.message)).not.toContain(' via ');
  });

  it('sends nothing for an unassigned ClusterIP anywhere: routed to the local service device and refused at once', async () => {
    const route = await sh('ip', ['route', 'get', '10.96.255.254']);
    expect(route).toContain('dev skiff-svc0');
    expect(route).not.toContain(' via ');
    const err = await get('http://10.96.255.254/').then(
      () => undefined,
      (e: Error & { code?: string; ms: number }) => e,
    );
    expect(err?.code).toBe('ECONNREFUSED');
    expect(err!.ms).toBeLessThan(1000);
    const pods = await sh('ip', ['route', 'get', '10.244.200.9']).catch((e: Error) => e.message);
    expect(pods).not.toContain(' via ');
  });

  it('scaled to 1: within a second no request reaches a removed pod; scaled to 0: refused at once', async () => {
    await k().ok(['scale', '-n', NS, 'deployment/web', '--replicas=1']);
    const left = await cluster.until('one ready endpoint', async () => {
      const a = await readyAddresses('web');
      return a.length === 1 ? a : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    const survivor = (await webPods()).find((p) => p.ip === left[0])!;
    expect(count(await getsFromPod(`http://web.${NS}.svc.cluster.local/`, 100))).toEqual(new Map([[survivor.name, 100]]));

    await k().ok(['scale', '-n', NS, 'deployment/web', '--replicas=0']);
    await cluster.until('no ready endpoint', async () => (await readyAddresses('web')).length === 0);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const out = await inPod(`wget -q -O- http://web.${NS}.svc.cluster.local/ 2>&1; echo rc=$?`);
    expect(out).toContain('Connection refused');
    expect(out).toContain('rc=1');
    expect(Date.now() - t0).toBeLessThan(5000); // kubectl exec's own round trip included; a timeout would be far longer
    await k().ok(['scale', '-n', NS, 'deployment/web', '--replicas=3']);
    await cluster.until('3 ready endpoints again', async () => (await readyAddresses('web')).length === 3);
  }, 180_000);

  it('keeps traffic flowing through a kube-proxy kill -9 and restart; the resync changes nothing; --cleanup leaves no rule', async () => {
    const ip = await clusterIP('web');
    await new Promise((r) => setTimeout(r, 1500)); // let the last endpoint changes settle into the rules
    const before = await skiffRules();
    expect(before).toContain(ip);
    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const loop = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const r = await get(`http://${ip}/`);
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    cluster.proxy.proc.kill('SIGKILL');
    await new Promise((r) => cluster.proxy.proc.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    cluster.startProxy();
    await cluster.until('kube-proxy synced again', async () => cluster.proxy.output().includes('proxy rules synced'), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await loop;
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect(await skiffRules()).toBe(before);

    await cluster.proxy.stop();
    await sh(process.execPath, [(await import('../support/apiserver.js')).CLI, 'kube-proxy', '--cleanup']);
    expect(await skiffRules()).toBe('');
  }, 120_000);
});
