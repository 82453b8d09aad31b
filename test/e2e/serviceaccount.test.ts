// ServiceAccount credentials in real containers: the ServiceAccount admission plugin gives
// the pod its kube-api-access volume, the real kubelet asks the apiserver for a token bound to
// the pod and writes it beside the namespace and ca.crt, and the process in the container reads
// them at /var/run/secrets/kubernetes.io/serviceaccount. A TokenRequest that fails (its
// account is gone) leaves the pod ContainerCreating with FailedMount until the account is back.
// The harness runs no controller-manager, so the test makes the `default` ServiceAccount and
// the kube-root-ca.crt ConfigMap (empty ca.crt, as the publisher writes it without a root CA),
// and it turns the ServiceAccount admission plugin on, which test apiservers leave off.
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVerificationKeys, readSigningKey } from '../../apiserver/auth/service-account-keys.js';
import { verifyServiceAccountToken, type LookupResource } from '../../apiserver/auth/service-account-token.js';
import { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { startApiserver } from '../support/apiserver.js';
import { containerStatus, KubeletHarness } from '../support/kubelet.js';

/**
 * The kubelet harness with ServiceAccount admission on (test apiservers run without it
 * unless a test chooses its plugins): pods get the kube-api-access volume as in a cluster.
 */
class ServiceAccountHarness extends KubeletHarness {
  override async setup(): Promise<void> {
    this.api = await startApiserver(['--enable-admission-plugins=ServiceAccount']);
    this.client = new Client(this.api.url, `e2e-${this.ns}`);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns } });
    this.startKubelet();
    await this.until('node registered and Ready', async () => {
      const n = await this.client.get(R.nodes, undefined, this.node);
      return (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    });
  }
}

const h = new ServiceAccountHarness('satoken');
const { until, pod, getPod, eventsOf } = h;
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const BUSYBOX = 'skiff/busybox:1.35';
/** Prints the three files, then stays up. */
const READER = ['sh', '-c', `echo "TOKEN=$(cat ${MOUNT}/token)"; echo "NS=$(cat ${MOUNT}/namespace)"; echo "CA=$(wc -c < ${MOUNT}/ca.crt)"; touch ${MOUNT}/x 2>/dev/null || echo READONLY; exec sleep 3600`];

beforeAll(async () => {
  await h.setup();
  // Made here unless the harness already made them.
  const ensure = (p: Promise<unknown>) => p.catch((err: unknown) => {
    if (!(isApiError(err) && err.reason === 'AlreadyExists')) throw err;
  });
  await ensure(h.client.create(R.serviceaccounts, h.ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }));
  await ensure(h.client.create(R.configmaps, h.ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': '' } }));
});

afterAll(async () => {
  await h.teardown();
});

/** The container's output through the apiserver's pods/log proxy to the kubelet. */
async function logsOf(name: string): Promise<string> {
  const res = await fetch(`${h.api.url}/api/v1/namespaces/${h.ns}/pods/${name}/log`);
  if (!res.ok) throw new Error(`logs of ${name}: ${res.status} ${await res.text()}`);
  return res.text();
}

function verify(token: string) {
  const keys = loadVerificationKeys([], readSigningKey(join(h.api.dataDir, 'sa.key')));
  const lookup = async (r: LookupResource, ns: string | undefined, name: string) => {
    try {
      return await h.client.get(R[r], ns, name);
    } catch (err) {
      if (isApiError(err) && err.code === 404) return undefined;
      throw err;
    }
  };
  return verifyServiceAccountToken(token, { keys, issuer: ISSUER, audiences: [ISSUER], lookup });
}

describe('ServiceAccount tokens in pods', () => {
  it('a pod reads its bound token, its namespace and ca.crt from the kube-api-access volume', async () => {
    const created: KubeObject = await h.client.create(R.pods, h.ns, pod('reader', { containers: [{ name: 'c', image: BUSYBOX, command: READER }] }));
    const volume = (created.spec.volumes as { name: string; projected?: unknown }[]).find((v) => v.name.startsWith('kube-api-access-'));
    expect(volume?.projected).toBeDefined();
    const out = await until('the pod printing its credentials', async () => {
      const text = await logsOf('reader');
      // All of it: the last line (READONLY) printed.
      return text.includes('READONLY') && text;
    }, 60_000);
    const token = /^TOKEN=(.*)$/m.exec(out)![1]!;
    expect(/^NS=(.*)$/m.exec(out)![1]).toBe(h.ns);
    expect(/^CA=\s*(\d+)$/m.exec(out)![1]).toBe('0');
    expect(out).toContain('READONLY');

    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      aud: [ISSUER],
      iss: ISSUER,
      sub: `system:serviceaccount:${h.ns}:default`,
      'kubernetes.io': { namespace: h.ns, pod: { name: 'reader', uid: created.metadata.uid }, node: { name: h.node } },
    });
    // The kubelet's 3607 s token for the API is extended to a year, stale after the hour.
    expect(claims.exp! - claims.iat!).toBe(365 * 24 * 3600);
    expect((claims['kubernetes.io'] as { warnafter: number }).warnafter - claims.iat!).toBe(3607);
    expect(await verify(token)).toMatchObject({
      authenticated: true,
      user: {
        name: `system:serviceaccount:${h.ns}:default`,
        extra: { 'authentication.kubernetes.io/pod-name': ['reader'], 'authentication.kubernetes.io/pod-uid': [created.metadata.uid], 'authentication.kubernetes.io/node-name': [h.node] },
      },
    });
    // Deleting the pod invalidates its token.
    await h.client.delete(R.pods, h.ns, 'reader', { gracePeriodSeconds: 0 });
    await until('the pod gone', async () => getPod('reader').then(() => false, (err: unknown) => isApiError(err) && err.code === 404));
    expect(await verify(token)).toEqual({ authenticated: false, reason: 'service account token has been invalidated' });
  });

  it('a failed TokenRequest is a FailedMount with the apiserver\'s message, retried until it succeeds', async () => {
    await h.client.create(R.serviceaccounts, h.ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'doomed' } });
    // Admitted while the account exists, unscheduled; the account goes before the pod reaches the node.
    const spec = pod('orphan', { serviceAccountName: 'doomed', containers: [{ name: 'c', image: BUSYBOX, command: READER }] });
    delete (spec.spec as { nodeName?: string }).nodeName;
    await h.client.create(R.pods, h.ns, spec);
    await h.client.delete(R.serviceaccounts, h.ns, 'doomed');
    await h.client.request('POST', h.client.path(R.pods, h.ns, 'orphan', 'binding'), { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'orphan' }, target: { kind: 'Node', name: h.node } });

    const failed = await until('a FailedMount event', async () => (await eventsOf('orphan')).find((e) => e.reason === 'FailedMount'));
    expect(failed.message).toMatch(/^MountVolume\.SetUp failed for volume "kube-api-access-[a-z0-9]{5}" : failed to fetch token: serviceaccounts "doomed" not found$/);
    const p = await getPod('orphan');
    expect(containerStatus(p, 'c')?.state?.waiting?.reason).toBe('ContainerCreating');

    await h.client.create(R.serviceaccounts, h.ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'doomed' } });
    const out = await until('the pod running with its token', async () => {
      const text = await logsOf('orphan').catch(() => '');
      // All of it: the last line (READONLY) printed.
      return text.includes('READONLY') && text;
    }, 60_000);
    expect(decodeJwt(/^TOKEN=(.*)$/m.exec(out)![1]!).sub).toBe(`system:serviceaccount:${h.ns}:doomed`);
  });
});
