import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { errors } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { writeAtomically } from './atomic-writer.js';
import { VolumeError, prepareVolumes, removePodVolumes } from './index.js';
import { TokenManager } from './token-manager.js';

function fakeClient(objs: Record<string, KubeObject>): Client {
  return {
    get: async (r: { plural: string }, ns: string | undefined, name: string) => {
      const o = objs[`${r.plural}/${ns ?? ''}/${name}`];
      if (!o) throw errors.notFound(r.plural, '', name);
      return structuredClone(o);
    },
  } as unknown as Client;
}

const log = pino({ level: 'silent' });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const tmp = mkdtempSync(join(tmpdir(), 'skiff-volumes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let rootDir: string;
let n = 0;
beforeEach(() => {
  rootDir = join(tmp, `root-${++n}`);
  mkdirSync(rootDir);
});

let objs: Record<string, KubeObject>;
const pod = (volumes: any[], containers: any[] = [], meta: any = {}): KubeObject => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { app: 'web' }, annotations: { a: '1' }, ...meta },
  spec: { nodeName: 'node-1', volumes, containers },
});
const prepare = (p: KubeObject) => prepareVolumes(p, { client: fakeClient(objs), rootDir, log });
const volDir = (kind: string, name: string) => join(rootDir, 'pods/uid-1/volumes', kind, name);
const mode = (p: string) => statSync(p).mode & 0o777;

beforeEach(() => {
  objs = {
    'configmaps/ns/cfg': { metadata: { name: 'cfg' }, data: { 'app.conf': 'x=1', other: 'o' }, binaryData: { bin: b64('\u0001\u0002') } },
    'secrets/ns/sec': { metadata: { name: 'sec' }, data: { password: b64('s3cret'), user: b64('admin') } },
    'nodes//node-1': { metadata: { name: 'node-1' }, status: { allocatable: { cpu: '4', memory: '8Gi' } } },
  };
});

describe('emptyDir', () => {
  it('is a directory shared by the containers, removed with the pod', async () => {
    const c1 = { name: 'a', volumeMounts: [{ name: 'data', mountPath: '/data' }] };
    const c2 = { name: 'b', volumeMounts: [{ name: 'data', mountPath: '/srv', readOnly: true }] };
    const v = await prepare(pod([{ name: 'data', emptyDir: {} }], [c1, c2]));
    const dir = volDir('kubernetes.io~empty-dir', 'data');
    expect(mode(dir)).toBe(0o777);
    expect(v.mountsFor(c1)).toEqual([{ hostPath: dir, containerPath: '/data', readOnly: false }]);
    expect(v.mountsFor(c2)).toEqual([{ hostPath: dir, containerPath: '/srv', readOnly: true }]);
    await removePodVolumes('uid-1', rootDir);
    expect(existsSync(join(rootDir, 'pods/uid-1'))).toBe(false);
    await removePodVolumes('uid-1', rootDir); // idempotent
  });

  it('medium Memory is a tmpfs of sizeLimit', async () => {
    const c = { name: 'a', volumeMounts: [{ name: 'm', mountPath: '/m' }] };
    const v = await prepare(pod([{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }], [c]));
    expect(v.mountsFor(c)).toEqual([{ containerPath: '/m', readOnly: false, tmpfs: { sizeBytes: 64 * 1024 * 1024 } }]);
  });
});

describe('hostPath', () => {
  it('checks and creates as the type says', async () => {
    const d = join(tmp, `hp-${n}`);
    mkdirSync(d);
    writeFileSync(join(d, 'file'), 'f');
    const ok = await prepare(
      pod([
        { name: 'a', hostPath: { path: join(d, 'new/dir'), type: 'DirectoryOrCreate' } },
        { name: 'b', hostPath: { path: join(d, 'newfile'), type: 'FileOrCreate' } },
        { name: 'c', hostPath: { path: d, type: 'Directory' } },
        { name: 'd', hostPath: { path: join(d, 'file'), type: 'File' } },
        { name: 'e', hostPath: { path: join(d, 'whatever') } },
      ]),
    );
    expect(statSync(join(d, 'new/dir')).isDirectory()).toBe(true);
    expect(statSync(join(d, 'newfile')).isFile()).toBe(true);
    expect(ok.volumes.get('e')).toEqual({ name: 'e', hostPath: join(d, 'whatever') });
  });

  it.each([
    ['Directory', 'file', 'is not a directory'],
    ['Directory', 'missing', 'is not a directory'],
    ['File', '.', 'is not a file'],
    ['Socket', 'file', 'is not a socket file'],
    ['CharDevice', 'file', 'is not a character device'],
    ['BlockDevice', 'file', 'is not a block device'],
    ['DirectoryOrCreate', 'file', 'is not a directory'],
  ])('type %s on %s fails', async (type, name, what) => {
    const d = join(tmp, `hp-${n}`);
    mkdirSync(d);
    writeFileSync(join(d, 'file'), 'f');
    const path = join(d, name);
    const err = await prepare(pod([{ name: 'h', hostPath: { path, type } }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VolumeError);
    expect(err).toMatchObject({ code: 'HostPathTypeCheck', volume: 'h', reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${path} ${what}` });
  });

  it('accepts a socket for type Socket', async () => {
    const sock = join(tmp, `s-${n}.sock`);
    const srv: Server = await new Promise((res) => {
      const s = createServer();
      s.listen(sock, () => res(s));
    });
    try {
      await prepare(pod([{ name: 's', hostPath: { path: sock, type: 'Socket' } }]));
    } finally {
      srv.close();
    }
  });
});

describe('configMap and secret', () => {
  it('projects every key with the default mode, atomically behind ..data', async () => {
    const v = await prepare(pod([{ name: 'c', configMap: { name: 'cfg' } }, { name: 's', secret: { secretName: 'sec', defaultMode: 0o400 } }]));
    const c = volDir('kubernetes.io~configmap', 'c');
    expect(readFileSync(join(c, 'app.conf'), 'utf8')).toBe('x=1');
    expect(readFileSync(join(c, 'bin'))).toEqual(Buffer.from([1, 2]));
    expect(readlinkSync(join(c, 'app.conf'))).toBe('..data/app.conf');
    expect(readlinkSync(join(c, '..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect(mode(join(c, 'app.conf'))).toBe(0o644);
    const s = volDir('kubernetes.io~secret', 's');
    expect(readFileSync(join(s, 'password'), 'utf8')).toBe('s3cret');
    expect(mode(join(s, 'password'))).toBe(0o400);
    expect(v.volumes.get('c')?.readOnly).toBe(true);
  });

  it('projects items to paths with their modes', async () => {
    await prepare(pod([{ name: 'c', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'etc/app/app.conf', mode: 0o600 }] } }]));
    const c = volDir('kubernetes.io~configmap', 'c');
    expect(readdirSync(c).sort()).toEqual([expect.stringMatching(/^\.\.\d/), '..data', 'etc']);
    expect(readFileSync(join(c, 'etc/app/app.conf'), 'utf8')).toBe('x=1');
    expect(mode(join(c, 'etc/app/app.conf'))).toBe(0o600);
  });

  it('refresh() swaps in the changed object and drops removed keys', async () => {
    const v = await prepare(pod([{ name: 'c', configMap: { name: 'cfg' } }]));
    const c = volDir('kubernetes.io~configmap', 'c');
    const before = readlinkSync(join(c, '..data'));
    await v.refresh();
    expect(readlinkSync(join(c, '..data'))).toBe(before); // unchanged: not rewritten
    objs['configmaps/ns/cfg'] = { metadata: { name: 'cfg' }, data: { 'app.conf': 'x=2', added: 'new' } };
    await v.refresh();
    expect(readlinkSync(join(c, '..data'))).not.toBe(before);
    expect(readFileSync(join(c, 'app.conf'), 'utf8')).toBe('x=2');
    expect(readFileSync(join(c, 'added'), 'utf8')).toBe('new');
    expect(existsSync(join(c, 'other'))).toBe(false);
    expect(existsSync(join(c, before))).toBe(false);
  });

  it('an optional missing object or key gives what exists', async () => {
    await prepare(
      pod([
        { name: 'a', configMap: { name: 'gone', optional: true } },
        { name: 'b', secret: { secretName: 'sec', optional: true, items: [{ key: 'nokey', path: 'x' }, { key: 'user', path: 'u' }] } },
      ]),
    );
    expect(readdirSync(volDir('kubernetes.io~configmap', 'a')).filter((f) => !f.startsWith('..'))).toEqual([]);
    expect(readdirSync(volDir('kubernetes.io~secret', 'b')).filter((f) => !f.startsWith('..'))).toEqual(['u']);
  });

  it.each([
    [{ name: 'v', configMap: { name: 'gone' } }, 'ObjectNotFound', 'configmap "gone" not found'],
    [{ name: 'v', secret: { secretName: 'gone' } }, 'ObjectNotFound', 'secret "gone" not found'],
    [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nokey', path: 'x' }] } }, 'KeyNotFound', 'configmap references non-existent config key: nokey'],
    [{ name: 'v', secret: { secretName: 'sec', items: [{ key: 'nokey', path: 'x' }] } }, 'KeyNotFound', 'references non-existent secret key: nokey'],
    [{ name: 'v', nfs: { server: 'x', path: '/' } }, 'Unsupported', "volume type nfs is not supported by skiff's kubelet"],
  ])('fails: %j', async (vol, code, detail) => {
    const err = await prepare(pod([vol])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code, volume: 'v', message: `MountVolume.SetUp failed for volume "v" : ${detail}` });
  });
});

describe('downwardAPI and projected', () => {
  it('writes fields and resources, refreshed from a newer pod', async () => {
    const c = { name: 'app', resources: { limits: { memory: '64Mi' }, requests: { cpu: '100m' } } };
    const items = [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
      { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
    ];
    const p = pod([{ name: 'd', downwardAPI: { items } }], [c]);
    const v = await prepare(p);
    const d = volDir('kubernetes.io~downward-api', 'd');
    expect(readFileSync(join(d, 'labels'), 'utf8')).toBe('app="web"');
    expect(readFileSync(join(d, 'name'), 'utf8')).toBe('p');
    expect(readFileSync(join(d, 'mem'), 'utf8')).toBe('64');
    expect(readFileSync(join(d, 'cpu'), 'utf8')).toBe('4000');
    await v.refresh({ ...p, metadata: { ...p.metadata, labels: { app: 'web', v: '2' } } });
    expect(readFileSync(join(d, 'labels'), 'utf8')).toBe('app="web"\nv="2"');
  });

  it('merges sources into one directory', async () => {
    const sources = [
      { configMap: { name: 'cfg', items: [{ key: 'other', path: 'o' }] } },
      { secret: { name: 'sec', items: [{ key: 'user', path: 'creds/user', mode: 0o440 }] } },
      { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ];
    await prepare(pod([{ name: 'pr', projected: { sources, defaultMode: 0o640 } }]));
    const d = volDir('kubernetes.io~projected', 'pr');
    expect(readFileSync(join(d, 'o'), 'utf8')).toBe('o');
    expect(mode(join(d, 'o'))).toBe(0o640);
    expect(readFileSync(join(d, 'creds/user'), 'utf8')).toBe('admin');
    expect(mode(join(d, 'creds/user'))).toBe(0o440);
    expect(readFileSync(join(d, 'ns'), 'utf8')).toBe('ns');
  });

  it('fails a serviceAccountToken source with the apiserver\'s answer to the TokenRequest (more in projected-token.test.ts)', async () => {
    const tokens = new TokenManager({
      requestToken: async () => {
        throw errors.notFound('serviceaccounts', '', 'default');
      },
    });
    const p = pod([{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }]);
    p.spec.serviceAccountName = 'default';
    const err = await prepareVolumes(p, { client: fakeClient(objs), rootDir, log, tokens }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ApiError', message: 'MountVolume.SetUp failed for volume "tok" : failed to fetch token: serviceaccounts "default" not found' });
  });
});

describe('persistentVolumeClaim', () => {
  const claim = (phase: string, volumeName?: string) => ({ metadata: { name: 'c', uid: 'pvc-uid' }, spec: { volumeName }, status: { phase } });
  it('mounts the bound hostPath or local PV', async () => {
    const hp = join(tmp, `pv-${n}`);
    objs['persistentvolumeclaims/ns/c'] = claim('Bound', 'pv1');
    objs['persistentvolumes//pv1'] = { metadata: { name: 'pv1' }, spec: { hostPath: { path: hp, type: 'DirectoryOrCreate' }, claimRef: { uid: 'pvc-uid' } } };
    const c = { name: 'a', volumeMounts: [{ name: 'data', mountPath: '/data' }] };
    const v = await prepare(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'c', readOnly: true } }], [c]));
    expect(v.mountsFor(c)).toEqual([{ hostPath: hp, containerPath: '/data', readOnly: true }]);
    objs['persistentvolumes//pv1'] = { metadata: { name: 'pv1' }, spec: { local: { path: hp }, claimRef: { uid: 'pvc-uid' } } };
    const v2 = await prepare(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }], [c]));
    expect(v2.mountsFor(c)).toEqual([{ hostPath: hp, containerPath: '/data', readOnly: false }]);
  });

  it('refuses a claim that is missing, not bound, or bound elsewhere', async () => {
    const v = [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }];
    await expect(prepare(pod(v))).rejects.toMatchObject({ code: 'ObjectNotFound', message: expect.stringContaining('persistentvolumeclaim "c" not found') });
    objs['persistentvolumeclaims/ns/c'] = claim('Pending');
    await expect(prepare(pod(v))).rejects.toMatchObject({ code: 'ClaimNotBound', message: expect.stringContaining('PVC ns/c has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")') });
    objs['persistentvolumeclaims/ns/c'] = claim('Bound', 'pv1');
    objs['persistentvolumes//pv1'] = { metadata: { name: 'pv1' }, spec: { hostPath: { path: '/tmp' }, claimRef: { uid: 'other' } } };
    await expect(prepare(pod(v))).rejects.toMatchObject({ code: 'ClaimNotBound', message: expect.stringContaining('does not point to claim.UID pvc-uid') });
  });
});

describe('volumeMounts', () => {
  it('subPath: a directory created inside the volume, or a file', async () => {
    const c = {
      name: 'a',
      volumeMounts: [
        { name: 'data', mountPath: '/x', subPath: 'sub/dir' },
        { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
      ],
    };
    const v = await prepare(pod([{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }], [c]));
    const [m1, m2] = v.mountsFor(c);
    expect(m1).toEqual({ hostPath: join(volDir('kubernetes.io~empty-dir', 'data'), 'sub/dir'), containerPath: '/x', readOnly: false });
    expect(statSync(m1!.hostPath!).isDirectory()).toBe(true);
    expect(readFileSync(m2!.hostPath!, 'utf8')).toBe('x=1');
    expect(m2!.readOnly).toBe(true);
  });

  it('subPathExpr expands the container env', async () => {
    const c = { name: 'a', volumeMounts: [{ name: 'data', mountPath: '/x', subPathExpr: 'logs/$(POD_NAME)' }] };
    const v = await prepare(pod([{ name: 'data', emptyDir: {} }], [c]));
    expect(v.mountsFor(c, [{ name: 'POD_NAME', value: 'p' }])[0]!.hostPath).toBe(join(volDir('kubernetes.io~empty-dir', 'data'), 'logs/p'));
    expect(() => v.mountsFor(c, [])).toThrow('missing value for POD_NAME');
  });

  it('rejects .., absolute paths, symlinks out of the volume and unknown volumes', async () => {
    const v = await prepare(pod([{ name: 'data', emptyDir: {} }]));
    const dir = volDir('kubernetes.io~empty-dir', 'data');
    symlinkSync('/etc', join(dir, 'escape'));
    symlinkSync('/nonexistent/x', join(dir, 'dangling'));
    const m = (vm: any) => () => v.mountsFor({ name: 'a', volumeMounts: [{ name: 'data', mountPath: '/x', ...vm }] });
    expect(m({ subPath: '../x' })).toThrow("must not contain '..'");
    expect(m({ subPath: 'a/../../x' })).toThrow("must not contain '..'");
    expect(m({ subPath: '/etc' })).toThrow('must not be an absolute path');
    expect(m({ subPath: 'escape/passwd' })).toThrow('outside the volume');
    expect(m({ subPath: 'dangling/y' })).toThrow('outside the volume');
    expect(existsSync('/nonexistent')).toBe(false);
    expect(m({ name: 'nope' })).toThrow('cannot find volume "nope"');
    expect(m({ subPath: 'escape/passwd' })).toThrow(VolumeError);
  });
});

describe('writeAtomically', () => {
  it('rejects unsafe payload paths', async () => {
    const d = join(tmp, `aw-${n}`);
    for (const p of ['../x', '/abs', '..data/x', 'a/../b']) {
      await expect(writeAtomically(d, new Map([[p, { data: Buffer.from(''), mode: 0o644 }]]))).rejects.toThrow(/invalid path/);
    }
  });

  it('rewrites when only a mode changed', async () => {
    const d = join(tmp, `aw2-${n}`);
    expect(await writeAtomically(d, new Map([['f', { data: Buffer.from('a'), mode: 0o644 }]]))).toBe(true);
    expect(await writeAtomically(d, new Map([['f', { data: Buffer.from('a'), mode: 0o644 }]]))).toBe(false);
    expect(await writeAtomically(d, new Map([['f', { data: Buffer.from('a'), mode: 0o600 }]]))).toBe(true);
    expect(mode(join(d, 'f'))).toBe(0o600);
    expect(lstatSync(join(d, 'f')).isSymbolicLink()).toBe(true);
    chmodSync(d, 0o755);
  });
});
