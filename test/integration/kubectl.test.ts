// The stock kubectl (v1.32) against a real skiff apiserver: what a user types and sees.
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, startControllerManager, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'kubectl-e2e';

const manifest = (image: string, data: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
  labels: { app: web }
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${NS}
spec:
  selector: { app: web }
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: ${NS}
data:
  greeting: ${data}
`;

/** Splits kubectl's table output into rows of cells. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

describe('stock kubectl against the apiserver', () => {
  let api: ApiserverProcess;
  let k: Kubectl;
  let file: string;

  beforeAll(async () => {
    api = await startApiserver();
    k = new Kubectl(api.url);
    file = join(k.dir, 'app.yaml');
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('creates a namespace', async () => {
    expect(await k.ok(['create', 'namespace', NS])).toBe(`namespace/${NS} created\n`);
    const r = await k.run(['create', 'namespace', NS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error from server (AlreadyExists): namespaces "${NS}" already exists`);
  });

  it('applies a manifest: created, then configured, then unchanged', async () => {
    writeFileSync(file, manifest('nginx:1.25', 'hello'));
    expect(await k.ok(['apply', '-f', file])).toBe('deployment.apps/web created\nservice/web created\nconfigmap/web-config created\n');
    writeFileSync(file, manifest('nginx:1.26', 'bonjour'));
    expect(await k.ok(['apply', '-f', file])).toBe('deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config configured\n');
    expect(await k.ok(['apply', '-f', file])).toBe('deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config unchanged\n');
    const deploy = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json']));
    expect(deploy.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'web', image: 'nginx:1.26', ports: [{ containerPort: 8080, protocol: 'TCP' }] }),
    ]);
    expect(deploy.metadata.generation).toBe(2);
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    const cm = JSON.parse(await k.ok(['get', 'cm', 'web-config', '-n', NS, '-o', 'json']));
    expect(cm.data).toEqual({ greeting: 'bonjour' });
  });

  it('gets each kind with the columns a real cluster prints', async () => {
    const deploy = rows(await k.ok(['get', 'deploy', '-n', NS]));
    expect(deploy[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(deploy[1]!.slice(0, 4)).toEqual(['web', '0/2', '0', '0']);
    expect(deploy[1]![4]).toMatch(/^\d+s$/);

    const svc = rows(await k.ok(['get', 'svc', 'web', '-n', NS]));
    expect(svc[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(svc[1]![0]).toBe('web');
    expect(svc[1]![1]).toBe('ClusterIP');
    expect(svc[1]![2]).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc[1]!.slice(3, 5)).toEqual(['<none>', '80/TCP']);

    const cm = rows(await k.ok(['get', 'configmaps', '-n', NS]));
    expect(cm[0]).toEqual(['NAME', 'DATA', 'AGE']);
    expect(cm[1]!.slice(0, 2)).toEqual(['web-config', '1']);

    const wide = rows(await k.ok(['get', 'deploy', '-n', NS, '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]!.slice(5)).toEqual(['web', 'nginx:1.26', 'app=web']);

    const all = rows(await k.ok(['get', 'svc', '-A']));
    expect(all[0]).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(all.map((r) => `${r[0]}/${r[1]}`)).toEqual(expect.arrayContaining(['default/kubernetes', `${NS}/web`]));

    const yaml = await k.ok(['get', 'svc', 'web', '-n', NS, '-o', 'yaml']);
    expect(yaml).toMatch(/^apiVersion: v1\nkind: Service\n/);
    expect(yaml).toContain('sessionAffinity: None');

    const byLabel = rows(await k.ok(['get', 'deploy', '-A', '-l', 'app=web']));
    expect(byLabel.slice(1).map((r) => r[1])).toEqual(['web']);
    const none = await k.run(['get', 'deploy', '-n', NS, '-l', 'app=nothing']);
    expect(none.stderr).toContain(`No resources found in ${NS} namespace.`);

    const missing = await k.run(['get', 'deploy', 'nope', '-n', NS]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('watches pods: ADDED, MODIFIED, DELETED', async () => {
    const proc = spawn('kubectl', ['--kubeconfig', k.kubeconfig, '--cache-dir', k.cacheDir, 'get', 'pods', '-n', NS, '-w', '--output-watch-events'], {
      env: { ...process.env, HOME: k.dir },
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`watch output never matched ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/No resources found|^$/m);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'watched' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
      await k.ok(['create', '-n', NS, '-f', '-'], { stdin: JSON.stringify(pod) });
      await waitFor(/ADDED\s+watched\s+0\/1\s+Pending/);
      await k.ok(['label', 'pod', 'watched', '-n', NS, 'stage=two']);
      await waitFor(/MODIFIED\s+watched/);
      await k.ok(['delete', 'pod', 'watched', '-n', NS]);
      await waitFor(/DELETED\s+watched/);
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(/^EVENT\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      const kinds = lines.slice(1).map((l) => l.split(/\s+/)[0]);
      expect(kinds).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      proc.kill();
    }
  });

  it('describes a deployment', async () => {
    const out = await k.ok(['describe', 'deploy', 'web', '-n', NS]);
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(/^Namespace:\s+kubectl-e2e$/m);
    expect(out).toMatch(/^Selector:\s+app=web$/m);
    expect(out).toMatch(/^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(out).toMatch(/Image:\s+nginx:1.26/);
  });

  it('labels and annotates', async () => {
    expect(await k.ok(['label', 'deploy', 'web', '-n', NS, 'tier=frontend'])).toBe('deployment.apps/web labeled\n');
    expect(await k.ok(['annotate', 'svc', 'web', '-n', NS, 'owner=team-a'])).toBe('service/web annotated\n');
    const shown = rows(await k.ok(['get', 'deploy', 'web', '-n', NS, '--show-labels']));
    expect(shown[1]![5]).toBe('app=web,tier=frontend');
    const svc = JSON.parse(await k.ok(['get', 'svc', 'web', '-n', NS, '-o', 'json']));
    expect(svc.metadata.annotations.owner).toBe('team-a');
    const deploy = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json']));
    expect(deploy.metadata.generation).toBe(2);
  });

  it('scales a deployment', async () => {
    expect(await k.ok(['scale', 'deploy/web', '-n', NS, '--replicas=5'])).toBe('deployment.apps/web scaled\n');
    const deploy = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json']));
    expect(deploy.spec.replicas).toBe(5);
    expect(deploy.metadata.generation).toBe(3);
    const stale = await k.run(['scale', 'deploy/web', '-n', NS, '--replicas=4', '--current-replicas=3']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Expected replicas to be 3, was 5');
  });

  it('edits through KUBE_EDITOR (kubectl reads KUBE_EDITOR, then EDITOR)', async () => {
    const editor = join(k.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 5/replicas: 3/" "$1"\n');
    chmodSync(editor, 0o755);
    expect(await k.ok(['edit', 'deploy/web', '-n', NS], { env: { KUBE_EDITOR: editor } })).toBe('deployment.apps/web edited\n');
    const deploy = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json']));
    expect(deploy.spec.replicas).toBe(3);
  });

  it('rejects an invalid manifest with the field named', async () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'Bad_Name', namespace: NS }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } } } };
    const r = await k.run(['create', '-f', '-'], { stdin: JSON.stringify(bad) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The Deployment "Bad_Name" is invalid');
    expect(r.stderr).toContain('metadata.name');
    expect(r.stderr).toContain('spec.template.spec.containers[0].image: Required value');
    const unknown = await k.run(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: NS }, dat: {} }) });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown field "dat"');
  });

  it('deletes what a manifest created', async () => {
    expect(await k.ok(['delete', '-f', file])).toBe('deployment.apps "web" deleted\nservice "web" deleted\nconfigmap "web-config" deleted\n');
    const r = await k.run(['get', 'deploy,svc,cm', '-n', NS, '-o', 'name']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('');
  });

  it('deletes the namespace (the namespace controller empties it first)', async () => {
    await k.ok(['create', 'configmap', 'leftover', '-n', NS, '--from-literal=a=b']);
    const cm = await startControllerManager(api.url);
    try {
      expect(await k.ok(['delete', 'ns', NS], { timeoutMs: 60_000 })).toBe(`namespace "${NS}" deleted\n`);
      const gone = await k.run(['get', 'ns', NS]);
      expect(gone.stderr).toContain(`namespaces "${NS}" not found`);
      const left = await k.run(['get', 'configmaps', '-n', NS, '-o', 'name']);
      expect(left.stdout.trim()).toBe('');
    } finally {
      await cm.stop();
    }
  });
});
