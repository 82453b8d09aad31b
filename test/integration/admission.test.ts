// Admission control as a user of the stock kubectl sees it, against a real apiserver with
// its default plugins, and the serviceaccount and resourcequota controllers running in
// this process against it (their real wiring, informers and workers).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceQuotaController } from '../../controller-manager/resourcequota/controller.js';
import { serviceAccountsController } from '../../controller-manager/serviceaccount/controller.js';
import type { Controller, ControllerContext } from '../../controller-manager/context.js';
import { Client } from '../../shared/client.js';
import { FakeRecorder } from '../../shared/events.js';
import { InformerFactory } from '../../shared/informer-factory.js';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const podYaml = (name: string, ns: string, spec: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
spec:
${spec}`;

const plainContainer = `  containers:
  - name: c
    image: busybox:1.36`;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('admission control through kubectl', () => {
  let api: ApiserverProcess;
  let k: Kubectl;
  let informers: InformerFactory;
  let controllers: Controller[];

  /** A namespace with its default ServiceAccount made by the controller. */
  const namespace = async (name: string) => {
    await k.ok(['create', 'namespace', name]);
    await eventually(`${name}/default ServiceAccount`, async () => ((await k.run(['get', 'serviceaccount', 'default', '-n', name])).code === 0 ? true : undefined));
  };

  /** A quota whose status the resourcequota controller has counted. */
  const quota = async (ns: string, name: string, hard: string) => {
    await k.ok(['create', 'quota', name, '-n', ns, `--hard=${hard}`]);
    await eventually(`quota ${name} counted`, async () => ((await k.ok(['get', 'quota', name, '-n', ns, '-o', 'jsonpath={.status.used}'])) ? true : undefined));
  };

  beforeAll(async () => {
    api = await startApiserver(['--enable-admission-plugins=ServiceAccount']);
    k = new Kubectl(api.url);
    const log = pino({ level: 'silent' });
    const client = new Client(api.url, 'admission-test');
    informers = new InformerFactory(client, log);
    const ctx: ControllerContext = {
      client,
      informers,
      recorder: new FakeRecorder(),
      log,
      now: () => new Date(),
      config: { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, nodeMonitorGracePeriodSeconds: 50, defaultTolerationSeconds: 300, workers: 2 },
    };
    controllers = [serviceAccountsController(ctx), resourceQuotaController(ctx)];
    await informers.start();
    for (const c of controllers) c.run(2);
  });
  afterAll(async () => {
    for (const c of controllers ?? []) c.stop();
    informers?.stop();
    await api?.cleanup();
  });

  it('NamespaceLifecycle: no writes into a missing namespace, and the system namespaces stay', async () => {
    const missing = await k.run(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: nowhere }\n' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found');
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const r = await k.run(['delete', 'namespace', ns]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`);
    }
  });

  it('ServiceAccount: pods run as default with the API credentials mounted; a missing account is refused', async () => {
    await namespace('sa-test');
    await k.ok(['apply', '-f', '-'], { stdin: podYaml('p', 'sa-test', plainContainer) });
    const pod = JSON.parse(await k.ok(['get', 'pod', 'p', '-n', 'sa-test', '-o', 'json']));
    expect(pod.spec.serviceAccountName, 'ServiceAccount admission must be on: kube-apiserver flags, apiserver/admission/plugins.ts').toBe('default');
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(volume.projected.sources[0]).toEqual({ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
    expect(pod.spec.containers[0].volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    const r = await k.run(['apply', '-f', '-'], { stdin: podYaml('q', 'sa-test', `  serviceAccountName: robot\n${plainContainer}`) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pods "q" is forbidden: error looking up service account sa-test/robot: serviceaccount "robot" not found');
  });

  it('LimitRanger: defaults show in kubectl get -o yaml, and a pod over the max is refused', async () => {
    await namespace('limits');
    await k.ok(['apply', '-f', '-'], {
      stdin: `
apiVersion: v1
kind: LimitRange
metadata: { name: cpu-mem, namespace: limits }
spec:
  limits:
  - type: Container
    default: { cpu: 500m, memory: 128Mi }
    defaultRequest: { cpu: 100m, memory: 64Mi }
    max: { cpu: "1" }
`,
    });
    await k.ok(['apply', '-f', '-'], { stdin: podYaml('web', 'limits', plainContainer) });
    const yaml = await k.ok(['get', 'pod', 'web', '-n', 'limits', '-o', 'yaml']);
    expect(yaml).toContain('kubernetes.io/limit-ranger: \'LimitRanger plugin set: cpu, memory request for container');
    const annotations = JSON.parse(await k.ok(['get', 'pod', 'web', '-n', 'limits', '-o', 'jsonpath={.metadata.annotations}']));
    expect(annotations['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    expect(yaml).toMatch(/resources:\n\s+limits:\n\s+cpu: 500m\n\s+memory: 128Mi\n\s+requests:\n\s+cpu: 100m\n\s+memory: 64Mi/);
    expect(yaml).toContain('qosClass: Burstable');
    const big = await k.run(['apply', '-f', '-'], { stdin: podYaml('big', 'limits', `${plainContainer}\n    resources: { limits: { cpu: "2" } }`) });
    expect(big.code).toBe(1);
    expect(big.stderr).toContain('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  });

  it('ResourceQuota: refuses past the limit with the upstream message, and gives back what a deleted pod used', async () => {
    await namespace('quota');
    await quota('quota', 'pods', 'pods=2');
    for (const name of ['p1', 'p2']) await k.ok(['apply', '-f', '-'], { stdin: podYaml(name, 'quota', plainContainer) });
    const third = await k.run(['apply', '-f', '-'], { stdin: podYaml('p3', 'quota', plainContainer) });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2');
    expect(await k.ok(['get', 'quota', 'pods', '-n', 'quota', '-o', 'jsonpath={.status.used.pods}'])).toBe('2');
    await k.ok(['delete', 'pod', 'p1', '-n', 'quota']);
    await eventually('the quota replenished', async () => ((await k.ok(['get', 'quota', 'pods', '-n', 'quota', '-o', 'jsonpath={.status.used.pods}'])) === '1' ? true : undefined));
    await k.ok(['apply', '-f', '-'], { stdin: podYaml('p3', 'quota', plainContainer) });
  });

  it('ResourceQuota: a quota on cpu makes every container state it', async () => {
    await namespace('compute');
    await quota('compute', 'compute', 'limits.cpu=2,requests.memory=1Gi');
    const r = await k.run(['apply', '-f', '-'], { stdin: podYaml('p', 'compute', plainContainer) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: c; requests.memory for: c');
  });

  it('ResourceQuota: of 20 concurrent pod creates against pods=5, exactly 5 succeed', async () => {
    await namespace('burst');
    await quota('burst', 'five', 'pods=5');
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${api.url}/api/v1/namespaces/burst/pods`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } }),
        }).then(async (res) => ({ code: res.status, body: (await res.json()) as { message?: string } })),
      ),
    );
    expect(codes.filter((c) => c.code === 201)).toHaveLength(5);
    const refused = codes.filter((c) => c.code === 403);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(r.body.message).toMatch(/exceeded quota: five, requested: pods=1, used: pods=5, limited: pods=5$/);
    const created = (await k.ok(['get', 'pods', '-n', 'burst', '-o', 'name'])).trim().split('\n');
    expect(created).toHaveLength(5);
    expect(await k.ok(['get', 'quota', 'five', '-n', 'burst', '-o', 'jsonpath={.status.used.pods}'])).toBe('5');
    // The controller's recount from the real pods agrees with what admission charged.
    await k.ok(['delete', created[0]!, '-n', 'burst']);
    await eventually('the recount', async () => ((await k.ok(['get', 'quota', 'five', '-n', 'burst', '-o', 'jsonpath={.status.used.pods}'])) === '4' ? true : undefined));
  });

  it('PodSecurity: enforce refuses with the upstream message; warn mode and workloads get warnings', async () => {
    await namespace('pss');
    await k.ok(['label', 'namespace', 'pss', 'pod-security.kubernetes.io/enforce=baseline']);
    const hostPod = podYaml('x', 'pss', `  hostNetwork: true\n${plainContainer}\n    securityContext: { privileged: true }`);
    const r = await k.run(['apply', '-f', '-'], { stdin: hostPod });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)',
    );
    await k.ok(['apply', '-f', '-'], { stdin: podYaml('ok', 'pss', plainContainer) });
    const labelled = await k.run(['label', 'namespace', 'pss', 'pod-security.kubernetes.io/warn=restricted']);
    expect(labelled.code).toBe(0);
    const d = await k.run(['create', 'deployment', 'web', '-n', 'pss', '--image=busybox:1.36']);
    expect(d.code).toBe(0);
    expect(d.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
    const tighten = await k.run(['label', 'namespace', 'pss', 'pod-security.kubernetes.io/enforce=restricted', '--overwrite']);
    expect(tighten.code).toBe(0);
    expect(tighten.stderr).toContain('Warning: existing pods in namespace "pss" violate the new PodSecurity enforce level "restricted:latest"');
    expect(tighten.stderr).toContain('Warning: ok: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile');
  });
});
