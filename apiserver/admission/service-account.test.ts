import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { attrs, container, FakeContext, pod, resource } from './fake.test-helper.js';
import { MIRROR_POD_ANNOTATION, serviceAccount, tokenVolumeSource, TOKEN_MOUNT_PATH } from './service-account.js';

const pods = resource('pods');
const sa = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'ns' }, ...extra });

function setup(objs: KubeObject[]) {
  const ctx = new FakeContext(objs);
  const delays: number[] = [];
  // random 0 → the name suffix is "bbbbb" and the retry interval 100 ms.
  const plugin = serviceAccount(ctx, { delay: async (ms) => void delays.push(ms), random: () => 0 });
  const admit = async (p: KubeObject): Promise<{ pod: KubeObject; error?: string }> => {
    const a = attrs('CREATE', pods, p);
    try {
      await plugin.prepare!(a);
      plugin.admit!(a);
      plugin.validate!(a);
      return { pod: a.object! };
    } catch (err) {
      return { pod: a.object!, error: `${(err as ApiError).code} ${(err as ApiError).message}` };
    }
  };
  return { ctx, delays, admit };
}

const mount = { name: 'kube-api-access-bbbbb', readOnly: true, mountPath: TOKEN_MOUNT_PATH };

describe('ServiceAccount admission', () => {
  it('runs a pod as default and projects its token, CA and namespace into every container', async () => {
    const { admit } = setup([sa('default')]);
    const { pod: p, error } = await admit(pod('p', { initContainers: [container('init')], containers: [container('a'), container('b', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }));
    expect(error).toBeUndefined();
    expect(p.spec.serviceAccountName).toBe('default');
    expect(p.spec.serviceAccount).toBe('default');
    expect(p.spec.volumes).toEqual([{ name: 'kube-api-access-bbbbb', projected: tokenVolumeSource() }]);
    expect(tokenVolumeSource()).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    expect(p.spec.initContainers[0].volumeMounts).toEqual([mount]);
    expect(p.spec.containers[0].volumeMounts).toEqual([mount]);
    expect(p.spec.containers[1].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }, mount]);
  });

  it.each([
    ['the pod opts out', sa('default'), { automountServiceAccountToken: false }, false],
    ['the account opts out', sa('default', { automountServiceAccountToken: false }), {}, false],
    ['the pod opts in over the account', sa('default', { automountServiceAccountToken: false }), { automountServiceAccountToken: true }, true],
  ])('mounts the token or not when %s', async (_name, account, specExtra, mounted) => {
    const { admit } = setup([account]);
    const { pod: p } = await admit(pod('p', { containers: [container('c')], ...specExtra }));
    expect(p.spec.volumes !== undefined).toBe(mounted);
  });

  it('leaves a container that already mounts something at the token path alone', async () => {
    const { admit } = setup([sa('default')]);
    const own = { name: 'mine', mountPath: TOKEN_MOUNT_PATH };
    const { pod: p } = await admit(pod('p', { containers: [container('c', { volumeMounts: [own] })] }));
    expect(p.spec.containers[0].volumeMounts).toEqual([own]);
    expect(p.spec.volumes).toBeUndefined();
  });

  it('copies the account imagePullSecrets to a pod that has none', async () => {
    const { admit } = setup([sa('builder', { imagePullSecrets: [{ name: 'registry' }] })]);
    const { pod: p } = await admit(pod('p', { serviceAccountName: 'builder', automountServiceAccountToken: false, containers: [container('c')] }));
    expect(p.spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
  });

  it('refuses a pod naming a missing account after one lookup', async () => {
    const { admit, delays } = setup([sa('default')]);
    const { error } = await admit(pod('p', { serviceAccountName: 'sa', containers: [container('c')] }));
    expect(error).toBe('403 pods "p" is forbidden: error looking up service account ns/sa: serviceaccount "sa" not found');
    expect(delays).toEqual([]);
  });

  it('waits for the default account its controller is about to make: 10 lookups, then refuses', async () => {
    const { admit, delays } = setup([]);
    const { error } = await admit(pod('p', { containers: [container('c')] }));
    expect(error).toBe('403 pods "p" is forbidden: error looking up service account ns/default: serviceaccount "default" not found');
    expect(delays).toEqual(Array(9).fill(100));
  });

  it('admits once the default account appears while waiting', async () => {
    const ctx = new FakeContext([]);
    let lookups = 0;
    const plugin = serviceAccount(ctx, {
      random: () => 0,
      delay: async () => {
        if (++lookups === 3) ctx.put(sa('default'));
      },
    });
    const a = attrs('CREATE', pods, pod('p', { containers: [container('c')] }));
    await plugin.prepare!(a);
    plugin.admit!(a);
    expect(a.object!.spec.serviceAccountName).toBe('default');
    expect(lookups).toBe(3);
  });

  it('leaves mirror pods unchanged and refuses them accounts, secrets and tokens', async () => {
    const { admit } = setup([sa('default')]);
    const mirror = (spec: Record<string, unknown>) => pod('static-web', { containers: [container('c')], ...spec }, { annotations: { [MIRROR_POD_ANNOTATION]: 'hash' } });
    const plain = await admit(mirror({}));
    expect(plain.error).toBeUndefined();
    expect(plain.pod.spec.serviceAccountName).toBeUndefined();
    expect((await admit(mirror({ serviceAccountName: 'default' }))).error).toBe('403 pods "static-web" is forbidden: a mirror pod may not reference service accounts');
    expect((await admit(mirror({ volumes: [{ name: 's', secret: { secretName: 'x' } }] }))).error).toBe('403 pods "static-web" is forbidden: a mirror pod may not reference secrets');
  });

  it('only looks at pod creates', () => {
    const { ctx } = setup([]);
    const plugin = serviceAccount(ctx);
    const p = pod('p', { containers: [container('c')] });
    expect(() => plugin.admit!(attrs('UPDATE', pods, p, { oldObject: p }))).not.toThrow();
    expect(() => plugin.validate!(attrs('CREATE', pods, p, { subresource: 'binding' }))).not.toThrow();
  });
});
