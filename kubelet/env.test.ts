import { describe, expect, it } from 'vitest';
import type { Client } from '../shared/client.js';
import { errors } from '../shared/errors.js';
import type { KubeObject } from '../shared/types.js';
import { EnvError, expand, mappingFuncFor, resolveEnv, serviceEnvVars } from './env.js';

/** A client over in-memory objects keyed "plural/ns/name" (nodes: "nodes//name"). */
function fakeClient(objs: Record<string, KubeObject>): Client {
  return {
    get: async (r: { plural: string }, ns: string | undefined, name: string) => {
      const o = objs[`${r.plural}/${ns ?? ''}/${name}`];
      if (!o) throw errors.notFound(r.plural, '', name);
      return structuredClone(o);
    },
    list: async (r: { plural: string }, ns?: string) => ({
      items: Object.entries(objs)
        .filter(([k]) => k.startsWith(`${r.plural}/${ns ?? ''}/`))
        .map(([, v]) => structuredClone(v)),
    }),
  } as unknown as Client;
}

describe('expand', () => {
  const mapping = mappingFuncFor(new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['EMPTY', '']]));
  it.each([
    ['$(VAR_A)', 'A'],
    ['___$(VAR_A)___', '___A___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['$', '$'],
    ['foo$', 'foo$'],
    ['$()', '$()'],
    ['$(VAR_A)$', 'A$'],
    ['${VAR_A}', '${VAR_A}'],
    ['$(VAR_A)$(VAR_A)', 'AA'],
  ])('%s → %s', (input, want) => expect(expand(input, mapping)).toBe(want));
});

describe('serviceEnvVars', () => {
  it('writes the service and Docker link variables', () => {
    const svc: KubeObject = {
      metadata: { name: 'my-svc', namespace: 'ns' },
      spec: { clusterIP: '10.96.0.7', ports: [{ port: 80, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] },
    };
    expect(Object.fromEntries(serviceEnvVars(svc).map((e) => [e.name, e.value]))).toEqual({
      MY_SVC_SERVICE_HOST: '10.96.0.7',
      MY_SVC_SERVICE_PORT: '80',
      MY_SVC_SERVICE_PORT_DNS_UDP: '53',
      MY_SVC_PORT: 'tcp://10.96.0.7:80',
      MY_SVC_PORT_80_TCP: 'tcp://10.96.0.7:80',
      MY_SVC_PORT_80_TCP_PROTO: 'tcp',
      MY_SVC_PORT_80_TCP_PORT: '80',
      MY_SVC_PORT_80_TCP_ADDR: '10.96.0.7',
      MY_SVC_PORT_53_UDP: 'udp://10.96.0.7:53',
      MY_SVC_PORT_53_UDP_PROTO: 'udp',
      MY_SVC_PORT_53_UDP_PORT: '53',
      MY_SVC_PORT_53_UDP_ADDR: '10.96.0.7',
    });
  });
  it('skips headless services', () => {
    expect(serviceEnvVars({ metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 1 }] } })).toEqual([]);
  });
});

describe('resolveEnv', () => {
  const objs: Record<string, KubeObject> = {
    'configmaps/ns/cfg': { metadata: { name: 'cfg' }, data: { MODE: 'fast', 'bad key': 'x', '1abc': 'y', LEVEL: '3' } },
    'secrets/ns/sec': { metadata: { name: 'sec' }, data: { PASSWORD: Buffer.from('s3cret').toString('base64') } },
    'services/default/kubernetes': { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    'services/default/other': { metadata: { name: 'other', namespace: 'default' }, spec: { clusterIP: '10.96.0.9', ports: [{ port: 1 }] } },
    'services/ns/web': { metadata: { name: 'web', namespace: 'ns' }, spec: { clusterIP: '10.96.0.5', ports: [{ port: 8080, protocol: 'TCP' }] } },
    'nodes//node-1': { metadata: { name: 'node-1' }, status: { allocatable: { cpu: '4', memory: '8Gi' } } },
  };
  const pod = (container: any, spec: any = {}): KubeObject => ({
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { app: 'web', tier: 'a"b' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'sa', containers: [container], ...spec },
  });
  const deps = (events: string[] = []) => ({
    client: fakeClient(objs),
    nodeName: 'node-1',
    hostIP: '192.168.1.10',
    podIP: '10.244.0.5',
    event: (_t: string, reason: string, msg: string) => events.push(`${reason}: ${msg}`),
  });
  const asMap = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

  it('resolves values, fieldRefs, resourceFieldRefs, key refs and envFrom', async () => {
    const events: string[] = [];
    const c = {
      name: 'app',
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } },
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'sec' } }, { configMapRef: { name: 'nope', optional: true } }],
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: '$(A)-$(CFG_MODE)-$(WEB_SERVICE_HOST)-$(LATER)-$$(A)' },
        { name: 'LATER', value: 'l' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 'sec', key: 'missing', optional: true } } },
        { name: 'OPT2', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } },
      ],
    };
    const env = asMap(await resolveEnv(pod(c), c, deps(events)));
    expect(env).toMatchObject({
      CFG_MODE: 'fast',
      CFG_LEVEL: '3',
      PASSWORD: 's3cret',
      A: 'a',
      B: 'a-fast-10.96.0.5-$(LATER)-$(A)',
      POD_NAME: 'p',
      POD_NS: 'ns',
      POD_UID: 'uid-1',
      APP: 'web',
      LABELS: 'app="web"\ntier="a\\"b"',
      NOTE: 'hi',
      NODE: 'node-1',
      SA: 'sa',
      POD_IP: '10.244.0.5',
      POD_IPS: '10.244.0.5',
      HOST_IP: '192.168.1.10',
      MEM_MI: '128',
      CPU_LIMIT: '4', // unset limit: the node's allocatable
      CPU_REQ_M: '250',
      CPU_REQ: '1', // rounded up
      LEVEL: '3',
      PW: 's3cret',
      WEB_SERVICE_HOST: '10.96.0.5',
      WEB_PORT: 'tcp://10.96.0.5:8080',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    });
    expect(env).not.toHaveProperty('OPT');
    expect(env).not.toHaveProperty('OPT2');
    expect(env).not.toHaveProperty('OTHER_SERVICE_HOST'); // another namespace's service
    expect(events).toEqual([
      'InvalidEnvironmentVariableNames: Keys [CFG_bad key] from the EnvFrom configMap ns/cfg were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it('keeps only the master service when enableServiceLinks is false, and the container env wins', async () => {
    const c = { name: 'app', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }] };
    const env = asMap(await resolveEnv(pod(c, { enableServiceLinks: false }), c, deps()));
    expect(env.KUBERNETES_SERVICE_HOST).toBe('mine');
    expect(env.KUBERNETES_SERVICE_PORT).toBe('443');
    expect(env).not.toHaveProperty('WEB_SERVICE_HOST');
  });

  it('puts declared variables in order, then the service variables', async () => {
    const c = { name: 'app', env: [{ name: 'Z', value: '1' }, { name: 'A', value: '2' }] };
    const env = await resolveEnv(pod(c), c, deps());
    expect(env.slice(0, 2)).toEqual([{ name: 'Z', value: '1' }, { name: 'A', value: '2' }]);
  });

  it.each([
    [{ configMapKeyRef: { name: 'gone', key: 'k' } }, 'ConfigMapNotFound', 'configmap "gone" not found'],
    [{ secretKeyRef: { name: 'gone', key: 'k' } }, 'SecretNotFound', 'secret "gone" not found'],
    [{ configMapKeyRef: { name: 'cfg', key: 'nokey' } }, 'KeyNotFound', "couldn't find key nokey in ConfigMap ns/cfg"],
    [{ secretKeyRef: { name: 'sec', key: 'nokey' } }, 'KeyNotFound', "couldn't find key nokey in Secret ns/sec"],
    [{ fieldRef: { fieldPath: 'spec.bogus' } }, 'InvalidFieldRef', 'unsupported fieldPath: spec.bogus'],
    [{ resourceFieldRef: { resource: 'limits.gpu' } }, 'InvalidFieldRef', 'unsupported container resource : limits.gpu'],
  ])('fails with a coded error: %j', async (valueFrom, code, message) => {
    const c = { name: 'app', env: [{ name: 'X', valueFrom }] };
    const err = await resolveEnv(pod(c), c, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvError);
    expect(err).toMatchObject({ code, message });
  });
});
