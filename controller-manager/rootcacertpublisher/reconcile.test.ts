import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { readRootCA } from './controller.js';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, reconcileRootCA } from './reconcile.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n';
const ns = (name: string, phase = 'Active'): KubeObject => ({ metadata: { name }, status: { phase } });
const cm = (namespace: string, data: Record<string, string>, annotations: Record<string, string> = { [DESCRIPTION_ANNOTATION]: DESCRIPTION }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'kube-root-ca.crt', namespace, resourceVersion: '7', annotations },
  data,
});

function setup(namespaces: KubeObject[], configMaps: KubeObject[], fail?: ApiError, rootCA = CA) {
  const writes: { verb: string; ns?: string; obj: KubeObject }[] = [];
  const client = {
    async create(_r: unknown, namespace: string, obj: KubeObject) {
      if (fail) throw fail;
      writes.push({ verb: 'create', ns: namespace, obj });
      return obj;
    },
    async update(_r: unknown, obj: KubeObject) {
      if (fail) throw fail;
      writes.push({ verb: 'update', ns: obj.metadata.namespace, obj });
      return obj;
    },
  } as unknown as Client;
  const deps = {
    client,
    rootCA,
    getNamespace: (name: string) => namespaces.find((n) => n.metadata.name === name),
    getConfigMap: (key: string) => configMaps.find((c) => `${c.metadata.namespace}/${c.metadata.name}` === key),
  };
  return { deps, writes };
}

describe('root CA publisher reconcile', () => {
  it('creates kube-root-ca.crt with ca.crt and the description in an active namespace', async () => {
    const { deps, writes } = setup([ns('a')], []);
    await reconcileRootCA('a', deps);
    expect(writes).toEqual([
      {
        verb: 'create',
        ns: 'a',
        obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'a', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': CA } },
      },
    ]);
  });

  it('publishes an empty ca.crt when there is no root CA (plain-HTTP apiserver)', async () => {
    const { deps, writes } = setup([ns('a')], [], undefined, '');
    await reconcileRootCA('a', deps);
    expect(writes[0]!.obj.data).toEqual({ 'ca.crt': '' });
  });

  it.each([
    ['a namespace that is gone', []],
    ['a terminating namespace', [ns('a', 'Terminating')]],
  ])('leaves %s alone', async (_what, namespaces) => {
    const { deps, writes } = setup(namespaces, []);
    await reconcileRootCA('a', deps);
    expect(writes).toEqual([]);
  });

  it('leaves a correct ConfigMap alone', async () => {
    const { deps, writes } = setup([ns('a')], [cm('a', { 'ca.crt': CA })]);
    await reconcileRootCA('a', deps);
    expect(writes).toEqual([]);
  });

  it.each([
    ['changed content', cm('a', { 'ca.crt': 'tampered' })],
    ['an extra key', cm('a', { 'ca.crt': CA, extra: 'x' })],
    ['no description', cm('a', { 'ca.crt': CA }, { keep: 'me' })],
  ])('puts back a ConfigMap with %s, from a copy of the cached one', async (_what, cached) => {
    const before = structuredClone(cached);
    const { deps, writes } = setup([ns('a')], [cached]);
    await reconcileRootCA('a', deps);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.verb).toBe('update');
    expect(writes[0]!.obj.data).toEqual({ 'ca.crt': CA });
    expect(writes[0]!.obj.metadata.resourceVersion).toBe('7');
    expect(writes[0]!.obj.metadata.annotations).toEqual({ ...before.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION });
    expect(cached).toEqual(before);
  });

  it('is done when the namespace is gone or terminating, or the cache is behind', async () => {
    const terminating = new ApiError(403, 'Forbidden', 'configmaps "kube-root-ca.crt" is forbidden: unable to create new content in namespace a because it is being terminated', {
      causes: [{ reason: 'NamespaceTerminating', message: 'namespace a is being terminated', field: 'metadata.namespace' }],
    });
    await reconcileRootCA('a', setup([ns('a')], [], terminating).deps);
    await reconcileRootCA('a', setup([ns('a')], [], new ApiError(404, 'NotFound', 'namespaces "a" not found')).deps);
    await reconcileRootCA('a', setup([ns('a')], [], new ApiError(409, 'AlreadyExists', 'configmaps "kube-root-ca.crt" already exists')).deps);
  });

  it('fails (and is retried) on anything else', async () => {
    await expect(reconcileRootCA('a', setup([ns('a')], [], new ApiError(500, 'InternalError', 'boom')).deps)).rejects.toThrow('boom');
    await expect(reconcileRootCA('a', setup([ns('a')], [cm('a', {})], new ApiError(409, 'Conflict', 'modified')).deps)).rejects.toThrow('modified');
  });
});

/** A self-signed P-256 CA certificate, valid until 2126. */
const REAL_CA = `-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUEbfsTMz7s+HZD5hOd3mE4mbHQzkwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNc2tpZmYtdGVzdC1jYTAgFw0yNjExMjIwMzMyMTBaGA8yMTI2
MTAyOTAzMzIxMFowGDEWMBQGA1UEAwwNc2tpZmYtdGVzdC1jYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLlxi6uxyTNplxoPqkBPthvYAOg7e9h7sx3E7oM5mID+
2VhXbXt+Q9WlUy16v7hVNmahnNiwKKJaWo5oBT7iMxKjUzBRMB0GA1UdDgQWBBSG
o/QRyh3JLSGBw7Lv4rb+RIZAwjAfBgNVHSMEGDAWgBSGo/QRyh3JLSGBw7Lv4rb+
RIZAwjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDl4MCfXFrI
J30zuBVw9iHoLBdcD/YzAR/l4uriosQ5PgIgFpudV/JEO4pWlUn+etGlfevviZpe
Seq6U5YBc2M28IA=
-----END CERTIFICATE-----
`;

describe('--root-ca-file', () => {
  it('is the file\'s bundle, empty without a file, and refuses a file without certificates', () => {
    expect(readRootCA('')).toBe('');
    const dir = mkdtempSync(join(tmpdir(), 'skiff-rootca-'));
    try {
      const good = join(dir, 'good.crt');
      writeFileSync(good, REAL_CA);
      expect(readRootCA(good)).toBe(REAL_CA);
      const file = join(dir, 'ca.crt');
      writeFileSync(file, 'not a certificate\n');
      expect(() => readRootCA(file)).toThrow(`error parsing root-ca-file at ${file}: data does not contain any valid RSA or ECDSA certificates`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
