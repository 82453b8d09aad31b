// The kubelet's projected serviceAccountToken source: what it asks the apiserver for, the files
// it writes beside ca.crt and the namespace, and a later sync rewriting the token once due.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { errors } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { prepareVolumes, removePodVolumes } from './index.js';
import { TokenManager, type TokenRequestSpec } from './token-manager.js';

const log = pino({ level: 'silent' });
const tmp = mkdtempSync(join(tmpdir(), 'skiff-projected-token-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let rootDir: string;
let n = 0;
let objs: Record<string, KubeObject>;
const fakeClient = (): Client =>
  ({
    get: async (r: { plural: string }, ns: string | undefined, name: string) => {
      const o = objs[`${r.plural}/${ns ?? ''}/${name}`];
      if (!o) throw errors.notFound(r.plural, '', name);
      return structuredClone(o);
    },
  }) as unknown as Client;
const volDir = (kind: string, name: string) => join(rootDir, 'pods/uid-1/volumes', kind, name);
const mode = (p: string) => statSync(p).mode & 0o777;
const saPod = (volumes: any[]): KubeObject => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' },
  spec: { nodeName: 'node-1', serviceAccountName: 'default', volumes, containers: [] },
});

beforeEach(() => {
  rootDir = join(tmp, `root-${++n}`);
  mkdirSync(rootDir);
  objs = { 'configmaps/ns/kube-root-ca.crt': { metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': '' } } };
});

describe('projected serviceAccountToken', () => {
  // What the ServiceAccount admission plugin mounts in every pod.
  const apiAccess = (extra: Record<string, unknown> = {}) => ({
    name: 'kube-api-access-x2b4c',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token', ...extra } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  const T0 = Date.parse('2026-05-01T00:00:00Z');
  let now: number;
  let requests: { namespace: string; name: string; spec: TokenRequestSpec }[];
  const tokens = () =>
    new TokenManager({
      now: () => new Date(now),
      random: () => 0,
      requestToken: async (namespace, name, spec) => {
        requests.push({ namespace, name, spec });
        const exp = spec.expirationSeconds ?? 3600;
        return { spec: { ...spec, expirationSeconds: exp }, status: { token: `token-${requests.length}`, expirationTimestamp: new Date(now + exp * 1000).toISOString() } };
      },
    });
  beforeEach(() => {
    now = T0;
    requests = [];
  });

  it('writes a token of the pod\'s ServiceAccount, bound to the pod, beside ca.crt and the namespace', async () => {
    await prepareVolumes(saPod([apiAccess()]), { client: fakeClient(), rootDir, log, tokens: tokens() });
    expect(requests).toEqual([
      { namespace: 'ns', name: 'default', spec: { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-1' } } },
    ]);
    const d = volDir('kubernetes.io~projected', 'kube-api-access-x2b4c');
    expect(readFileSync(join(d, 'token'), 'utf8')).toBe('token-1');
    expect(mode(join(d, 'token'))).toBe(0o644);
    expect(readFileSync(join(d, 'ca.crt'), 'utf8')).toBe('');
    expect(readFileSync(join(d, 'namespace'), 'utf8')).toBe('ns');
  });

  it('asks for the source\'s audience and writes the file with the volume\'s mode', async () => {
    const v = apiAccess({ audience: 'vault', path: 'vault-token' });
    v.projected.defaultMode = 0o600;
    await prepareVolumes(saPod([v]), { client: fakeClient(), rootDir, log, tokens: tokens() });
    expect(requests[0]!.spec.audiences).toEqual(['vault']);
    expect(mode(join(volDir('kubernetes.io~projected', v.name), 'vault-token'))).toBe(0o600);
  });

  it('rewrites the token on a later sync only once 80% of its lifetime has passed', async () => {
    const t = tokens();
    const p = saPod([apiAccess()]);
    const file = join(volDir('kubernetes.io~projected', 'kube-api-access-x2b4c'), 'token');
    const v = await prepareVolumes(p, { client: fakeClient(), rootDir, log, tokens: t });
    now = T0 + 2880_000; // 2880 s of 3607: under 80%
    await v.refresh();
    await prepareVolumes(p, { client: fakeClient(), rootDir, log, tokens: t }); // a later sync's remount
    expect(readFileSync(file, 'utf8')).toBe('token-1');
    expect(requests).toHaveLength(1);
    now = T0 + 2887_000; // past exp - 20% (721 s)
    await v.refresh();
    expect(readFileSync(file, 'utf8')).toBe('token-2');
    expect(requests).toHaveLength(2);
  });

  it('forgets the pod\'s tokens when its volumes are removed', async () => {
    const t = tokens();
    await prepareVolumes(saPod([apiAccess()]), { client: fakeClient(), rootDir, log, tokens: t });
    expect(t.size).toBe(1);
    await removePodVolumes('uid-1', rootDir, t);
    expect(t.size).toBe(0);
  });
});
