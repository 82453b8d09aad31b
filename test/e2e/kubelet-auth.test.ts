// The kubelet API locked down as kubeadm sets it up: a real kubelet on the real Docker engine
// with --anonymous-auth=false, --client-ca-file, --authentication-token-webhook and
// --authorization-mode Webhook, behind a secure apiserver that dials it with its own client
// certificate (--kubelet-client-certificate) and verifies the kubelet's self-signed serving
// certificate (--kubelet-certificate-authority). Direct calls (anonymous, client
// certificates, bearer tokens) get 401 / 403 / 200 as upstream's kubelet answers them, and
// the stock kubectl reaches logs and exec through the secure port once the apiserver's
// client is bound to system:kubelet-api-admin. The kubelet itself talks to the secure port as
// system:node:NAME (its TokenReviews and SubjectAccessReviews too). Traffic stays on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCA, createClientCert, createServingCert, type CertPair } from '../../apiserver/auth/pki.js';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { DockerRuntime } from '../../kubelet/runtime/docker.js';
import { ensureServingCert } from '../../kubelet/server/serving-cert.js';
import { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { freePort, startApiserver, startComponent, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';
import { secureRequest, writeSecureKubeconfig } from '../support/https.js';
import { until } from '../support/until.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const NODE = `e2e-auth-${suffix}`;
const NS = `kubelet-auth-${suffix}`;
const POD = 'shell';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const TOKENS = { granted: `proxy-${randomBytes(8).toString('hex')}`, idle: `idle-${randomBytes(8).toString('hex')}` };

interface Credential {
  cert?: CertPair;
  token?: string;
}

const rbacUser = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const clusterRoleBinding = (name: string, role: string, user: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [rbacUser(user)],
});

describe('the kubelet API locked down (x509, webhook token authentication, webhook authorization)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-auth-'));
  const rootDir = join(dir, 'kubelet');
  const docker = new DockerRuntime();
  let api: ApiserverProcess;
  let client: Client;
  let kubelet: ComponentProcess;
  let kubeletPort = 0;
  let secureUrl = '';
  let ca: CertPair;
  let certs: Record<string, CertPair>;

  /** A request straight to the kubelet (an upgrade when `upgrade`), verifying its certificate. */
  const direct = (path: string, who: Credential = {}, o: { upgrade?: boolean } = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = o.upgrade ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-protocol': 'v5.channel.k8s.io' } : {};
      if (who.token) headers.authorization = `Bearer ${who.token}`;
      const req = https.request(
        { host: '127.0.0.1', port: kubeletPort, path, headers, agent: false, ca: readFileSync(join(rootDir, 'pki', 'kubelet.crt')), ...(who.cert ? { cert: readFileSync(who.cert.cert), key: readFileSync(who.cert.key) } : {}) },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.setTimeout(20_000, () => req.destroy(new Error(`${path}: timeout`)));
      req.on('error', reject);
      req.end();
    });

  /** `kubectl exec`'s protocol straight to the kubelet (v5.channel.k8s.io): what stdout carried. */
  const directExec = (command: string[], who: Credential) =>
    new Promise<string>((resolve, reject) => {
      const q = new URLSearchParams([...command.map((c): [string, string] => ['command', c]), ['stdout', 'true']]);
      const ws = new WebSocket(`wss://127.0.0.1:${kubeletPort}/exec/${NS}/${POD}/main?${q}`, ['v5.channel.k8s.io'], {
        ca: readFileSync(join(rootDir, 'pki', 'kubelet.crt')),
        ...(who.cert ? { cert: readFileSync(who.cert.cert), key: readFileSync(who.cert.key) } : {}),
        ...(who.token ? { headers: { authorization: `Bearer ${who.token}` } } : {}),
      });
      let stdout = '';
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) stdout += data.subarray(1).toString('utf8');
      });
      ws.on('close', () => resolve(stdout));
      ws.on('unexpected-response', (_req, res) => reject(new Error(`exec refused: ${res.statusCode}`)));
      ws.on('error', reject);
    });

  /** The stock kubectl against the secure port as the cluster admin (a client certificate). */
  const kubectl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const kubeconfig = join(dir, 'admin.kubeconfig');
      const p = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '-n', NS, ...args], { env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.on('error', reject);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });

  beforeAll(async () => {
    ca = createCA(join(dir, 'pki'));
    const serving = createServingCert(join(dir, 'pki'), ca);
    certs = {
      admin: createClientCert(join(dir, 'pki'), ca, 'admin', 'kubernetes-admin', ['system:masters']),
      // kubeadm's apiserver-kubelet-client, here without a group: only its binding grants it anything.
      apiserverKubeletClient: createClientCert(join(dir, 'pki'), ca, 'apiserver-kubelet-client', 'kube-apiserver-kubelet-client'),
      stranger: createClientCert(join(dir, 'pki'), ca, 'stranger', 'stranger', ['team-z']),
      // The kubelet's own identity towards the apiserver (the Node authorizer lets it create reviews).
      kubelet: createClientCert(join(dir, 'pki'), ca, 'kubelet-client', `system:node:${NODE}`, ['system:nodes']),
    };
    writeFileSync(join(dir, 'tokens.csv'), `${TOKENS.granted},proxier,uid-proxier\n${TOKENS.idle},idler,uid-idler,"team-y"\n`);
    // The kubelet's self-signed certificate, made first so that the apiserver can pin it; the kubelet reuses it.
    const kubeletCert = ensureServingCert(join(rootDir, 'pki'), NODE, ['127.0.0.1']);
    const securePort = await freePort();
    api = await startApiserver([
      '--secure-port', String(securePort), '--tls-cert-file', serving.cert, '--tls-private-key-file', serving.key,
      '--client-ca-file', ca.cert, '--token-auth-file', join(dir, 'tokens.csv'),
      '--kubelet-client-certificate', certs.apiserverKubeletClient!.cert, '--kubelet-client-key', certs.apiserverKubeletClient!.key,
      '--kubelet-certificate-authority', kubeletCert.cert,
    ]);
    secureUrl = `https://127.0.0.1:${securePort}`;
    await until('the secure port', async () => (await secureRequest(secureUrl, ca.cert, 'GET', '/readyz').catch(() => undefined))?.status === 200, 30_000);
    writeSecureKubeconfig(dir, 'admin', secureUrl, ca.cert, { cert: certs.admin });
    const kubeletKubeconfig = writeSecureKubeconfig(dir, 'kubelet', secureUrl, ca.cert, { cert: certs.kubelet });
    client = new Client(api.url, 'e2e-kubelet-auth');
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
    // A role allowing nodes/proxy, for the static token's user.
    await client.request('POST', `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `node-proxy-${suffix}` },
      rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get', 'create'] }],
    });
    await client.request('POST', `${RBAC}/clusterrolebindings`, clusterRoleBinding(`node-proxy-${suffix}`, `node-proxy-${suffix}`, 'proxier'));

    kubelet = startComponent('kubelet', [
      '--kubeconfig', kubeletKubeconfig, '--hostname-override', NODE, '--root-dir', rootDir, '--node-ip', '127.0.0.1', '--port', '0', '--pod-cidr', '10.244.0.0/24',
      '--anonymous-auth=false', '--client-ca-file', ca.cert, '--authentication-token-webhook', '--authorization-mode', 'Webhook',
      // Denials are not cached, so that a grant made by a test takes effect at once.
      '--authorization-webhook-cache-unauthorized-ttl', '0', '--v', 'warn',
    ]);
    const node = await until('the node with its kubelet port', async () => (await client.get(R.nodes, undefined, NODE).catch(() => undefined))?.status?.daemonEndpoints?.kubeletEndpoint?.Port, 60_000, kubelet.output);
    kubeletPort = node;
    await client.create(R.pods, NS, {
      metadata: { name: POD },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'skiff/busybox:1.35', command: ['sh', '-c', 'echo hello-from-main; exec sleep 3600'] }] },
    });
    await until('the pod running', async () => (await client.get(R.pods, NS, POD)).status?.containerStatuses?.[0]?.state?.running, 60_000, kubelet.output);
  }, 180_000);

  afterAll(async () => {
    await kubelet?.stop();
    for (const c of await docker.list({ [NODE_LABEL]: NODE })) await docker.remove(c.id);
    await cleanupNodeNetwork();
    await api?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 to anonymous logs, exec and healthz (--anonymous-auth=false), and to an unknown token', async () => {
    expect(await direct(`/containerLogs/${NS}/${POD}/main`)).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await direct(`/exec/${NS}/${POD}/main?command=true&stdout=true`, {}, { upgrade: true })).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await direct('/healthz')).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await direct(`/containerLogs/${NS}/${POD}/main`, { token: 'not-a-token' })).toEqual({ status: 401, body: 'Unauthorized' });
  });

  it('answers 403 with upstream\'s words to a certificate of the client CA without a grant', async () => {
    const who = { cert: certs.stranger };
    expect(await direct(`/containerLogs/${NS}/${POD}/main`, who)).toEqual({ status: 403, body: 'Forbidden (user=stranger, verb=get, resource=nodes, subresource=proxy)' });
    expect(await direct(`/exec/${NS}/${POD}/main?command=true&stdout=true`, who, { upgrade: true })).toEqual({ status: 403, body: 'Forbidden (user=stranger, verb=create, resource=nodes, subresource=proxy)' });
    expect(await direct('/stats/summary', who)).toEqual({ status: 403, body: 'Forbidden (user=stranger, verb=get, resource=nodes, subresource=stats)' });
  });

  it('refuses kubectl logs through the apiserver until its kubelet client is bound to system:kubelet-api-admin, then serves logs and exec', async () => {
    const refused = await kubectl(['logs', POD]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy) ( pods/log ${POD})`);
    // Upstream's role (bootstrappolicy's system:kubelet-api-admin), made here when the apiserver lacks it.
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:kubelet-api-admin' },
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'proxy'] },
        { apiGroups: [''], resources: ['nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log', 'nodes/healthz', 'nodes/pods', 'nodes/configz'], verbs: ['*'] },
      ],
    };
    await client.request('POST', `${RBAC}/clusterroles`, role).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
    await client.request('POST', `${RBAC}/clusterrolebindings`, clusterRoleBinding(`kube-apiserver-kubelet-api-admin-${suffix}`, 'system:kubelet-api-admin', 'kube-apiserver-kubelet-client'));
    const logs = await kubectl(['logs', POD]);
    expect(logs).toMatchObject({ code: 0, stdout: 'hello-from-main\n' });
    const exec = await kubectl(['exec', POD, '--', 'sh', '-c', 'echo from-exec; exit 4']);
    expect(exec.stdout).toBe('from-exec\n');
    expect(exec.code).toBe(4);
  });

  it('serves the apiserver\'s kubelet client certificate directly: logs, exec over WebSocket, stats', async () => {
    const who = { cert: certs.apiserverKubeletClient };
    expect(await direct(`/containerLogs/${NS}/${POD}/main`, who)).toEqual({ status: 200, body: 'hello-from-main\n' });
    expect(await directExec(['echo', 'hi'], who)).toBe('hi\n');
    const stats = await direct('/stats/summary', who);
    expect(stats.status).toBe(200);
    expect(JSON.parse(stats.body).node.nodeName).toBe(NODE);
  });

  it('reviews bearer tokens with the apiserver: a user granted nodes/proxy may exec, another is forbidden', async () => {
    expect(await direct(`/containerLogs/${NS}/${POD}/main`, { token: TOKENS.granted })).toEqual({ status: 200, body: 'hello-from-main\n' });
    expect(await directExec(['echo', 'by-token'], { token: TOKENS.granted })).toBe('by-token\n');
    // nodes/proxy only: the Summary API is nodes/stats.
    expect(await direct('/stats/summary', { token: TOKENS.granted })).toEqual({ status: 403, body: 'Forbidden (user=proxier, verb=get, resource=nodes, subresource=stats)' });
    expect(await direct(`/containerLogs/${NS}/${POD}/main`, { token: TOKENS.idle })).toEqual({ status: 403, body: 'Forbidden (user=idler, verb=get, resource=nodes, subresource=proxy)' });
  });
});
