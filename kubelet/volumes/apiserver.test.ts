// prepareVolumes and resolveEnv against a real apiserver: objects as the apiserver stores them
// (secrets written with stringData, configMaps with binaryData), and refresh() after an update.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { startApiserver, type ApiserverProcess } from '../../test/support/apiserver.js';
import { resolveEnv } from '../env.js';
import { prepareVolumes } from './index.js';

describe('volumes and env from a real apiserver', () => {
  let api: ApiserverProcess;
  let client: Client;
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-volumes-api-'));
  const ns = 'vol-env';
  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: ns } });
    await client.create(R.configmaps, ns, { metadata: { name: 'cfg' }, data: { 'a.txt': 'one' }, binaryData: { b: Buffer.from([0, 1]).toString('base64') } });
    await client.create(R.secrets, ns, { metadata: { name: 'sec' }, stringData: { token: 'plain' }, data: { key: Buffer.from('k').toString('base64') } });
  });
  afterAll(async () => {
    await api?.cleanup();
    rmSync(rootDir, { recursive: true, force: true });
  });

  it('projects a configMap and a secret, and refreshes after an update', async () => {
    const pod = {
      metadata: { name: 'p', namespace: ns, uid: 'uid-api' },
      spec: { containers: [{ name: 'c' }], volumes: [{ name: 'c', configMap: { name: 'cfg' } }, { name: 's', secret: { secretName: 'sec' } }] },
    };
    const v = await prepareVolumes(pod, { client, rootDir, log: pino({ level: 'silent' }) });
    const cdir = v.volumes.get('c')!.hostPath!;
    const sdir = v.volumes.get('s')!.hostPath!;
    expect(readFileSync(join(cdir, 'a.txt'), 'utf8')).toBe('one');
    expect(readFileSync(join(cdir, 'b'))).toEqual(Buffer.from([0, 1]));
    expect(readFileSync(join(sdir, 'token'), 'utf8')).toBe('plain');
    expect(readFileSync(join(sdir, 'key'), 'utf8')).toBe('k');
    const cm = await client.get(R.configmaps, ns, 'cfg');
    await client.update(R.configmaps, { ...cm, data: { 'a.txt': 'two' } });
    await v.refresh();
    expect(readFileSync(join(cdir, 'a.txt'), 'utf8')).toBe('two');
  });

  it('resolves env from the same objects and the master service', async () => {
    const c = { name: 'c', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } }], envFrom: [{ configMapRef: { name: 'cfg' } }] };
    const pod = { metadata: { name: 'p', namespace: ns, uid: 'uid-api' }, spec: { containers: [c] } };
    const env = await resolveEnv(pod, c, { client, nodeName: 'n', hostIP: '127.0.0.1', podIP: '10.244.0.2' });
    const m = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(m.T).toBe('plain');
    expect(m['a.txt']).toBe('two');
    const master = await client.get(R.services, 'default', 'kubernetes').catch(() => undefined);
    if (master) expect(m.KUBERNETES_SERVICE_HOST).toBe(master.spec.clusterIP);
  });
});
