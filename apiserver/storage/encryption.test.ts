// Encryption at rest: the providers' formats (upstream's bytes), provider choice by prefix,
// resource matching, the config's validation, and LevelStorage sealing what reaches disk.
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptionConfigError, StorageTransformers, TransformError, type RandomSource } from './encryption.js';
import { LevelStorage } from './level.js';

const K16 = Buffer.alloc(16, 1).toString('base64');
const K32 = Buffer.alloc(32, 2).toString('base64');
const K32b = Buffer.alloc(32, 3).toString('base64');
const SECRET = '/registry/core/secrets/default/s1';

/** Deterministic "random" bytes, so the nonces and IVs of a test are known. */
const counting = (): RandomSource => {
  let n = 0;
  return (size) => Buffer.alloc(size, ++n);
};
const config = (providers: unknown[], resources: string[] = ['secrets']) => ({
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'EncryptionConfiguration',
  resources: [{ resources, providers }],
});
const gcm = (...keys: [string, string][]) => ({ aesgcm: { keys: keys.map(([name, secret]) => ({ name, secret })) } });
const cbc = (...keys: [string, string][]) => ({ aescbc: { keys: keys.map(([name, secret]) => ({ name, secret })) } });
const transformers = (providers: unknown[], resources?: string[]) => StorageTransformers.fromConfig(config(providers, resources), counting());
const sealed = (t: StorageTransformers, key: string, raw: string) => t.seal(key, raw) as Buffer;

describe('aesgcm', () => {
  it('stores k8s:enc:aesgcm:v1:<name>: + nonce + ciphertext + tag, with the storage key as AAD', () => {
    const t = transformers([gcm(['key1', K32])]);
    const out = sealed(t, SECRET, '{"data":{"p":"aHVudGVyMg=="}}');
    const prefix = 'k8s:enc:aesgcm:v1:key1:';
    expect(out.subarray(0, prefix.length).toString()).toBe(prefix);
    expect(out.includes('aHVudGVyMg==')).toBe(false);
    // Decrypted independently, exactly as upstream's gcm.Open would.
    const body = out.subarray(prefix.length);
    expect(body.subarray(0, 12)).toEqual(Buffer.alloc(12, 1));
    const d = createDecipheriv('aes-256-gcm', Buffer.from(K32, 'base64'), body.subarray(0, 12));
    d.setAAD(Buffer.from(SECRET));
    d.setAuthTag(body.subarray(body.length - 16));
    expect(Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString()).toBe('{"data":{"p":"aHVudGVyMg=="}}');
    expect(t.open(SECRET, out)).toEqual({ raw: '{"data":{"p":"aHVudGVyMg=="}}', stale: false });
  });

  it('uses a fresh nonce per write and accepts 16-byte keys', () => {
    const t = transformers([gcm(['k', K16])]);
    const a = sealed(t, SECRET, 'x');
    const b = sealed(t, SECRET, 'x');
    expect(a.equals(b)).toBe(false);
    expect(t.open(SECRET, b).raw).toBe('x');
  });

  it('refuses a value copied to another key, and a tampered one, naming the key', () => {
    const t = transformers([gcm(['key1', K32])]);
    const out = sealed(t, SECRET, '{"a":1}');
    expect(() => t.open('/registry/core/secrets/default/other', out)).toThrow(TransformError);
    expect(() => t.open('/registry/core/secrets/default/other', out)).toThrow(/"\/registry\/core\/secrets\/default\/other".*authentication failed/);
    const tampered = Buffer.from(out);
    tampered[tampered.length - 20]! ^= 1;
    expect(() => t.open(SECRET, tampered)).toThrow(/authentication failed/);
  });
});

describe('aescbc', () => {
  it('stores k8s:enc:aescbc:v1:<name>: + IV + PKCS#7-padded ciphertext, as upstream', () => {
    const t = transformers([cbc(['old', K32])]);
    const out = sealed(t, SECRET, 'sixteen bytes!!!');
    const body = out.subarray('k8s:enc:aescbc:v1:old:'.length);
    expect(body.length).toBe(16 + 32);
    const d = createDecipheriv('aes-256-cbc', Buffer.from(K32, 'base64'), body.subarray(0, 16));
    expect(Buffer.concat([d.update(body.subarray(16)), d.final()]).toString()).toBe('sixteen bytes!!!');
    expect(t.open(SECRET, out).raw).toBe('sixteen bytes!!!');
  });
});

describe('provider choice', () => {
  it('writes with the first provider and reads any listed one by prefix (key rotation)', () => {
    const before = transformers([gcm(['key1', K32])]);
    const old = sealed(before, SECRET, 'v1');
    const rotated = transformers([gcm(['key2', K32b], ['key1', K32])]);
    expect(rotated.open(SECRET, old)).toEqual({ raw: 'v1', stale: true });
    expect(sealed(rotated, SECRET, 'v2').subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key2:');
  });

  it('reads data without the prefix as plaintext, stale while encryption is on', () => {
    const t = transformers([gcm(['key1', K32])]);
    expect(t.open(SECRET, Buffer.from('{"plain":true}'))).toEqual({ raw: '{"plain":true}', stale: true });
  });

  it('with identity first writes plaintext and still reads encrypted data', () => {
    const enc = sealed(transformers([gcm(['key1', K32])]), SECRET, 'v1');
    const t = transformers([{ identity: {} }, gcm(['key1', K32])]);
    expect(t.seal(SECRET, 'v2')).toBe('v2');
    expect(t.open(SECRET, enc)).toEqual({ raw: 'v1', stale: true });
    expect(t.open(SECRET, Buffer.from('v2'))).toEqual({ raw: 'v2', stale: false });
  });

  it('fails naming the key and the stored prefix when no provider has its key', () => {
    const enc = sealed(transformers([gcm(['key1', K32])]), SECRET, 'v1');
    expect(() => transformers([gcm(['key2', K32b])]).open(SECRET, enc)).toThrow(
      'unable to transform key "/registry/core/secrets/default/s1": the value is encrypted with "k8s:enc:aesgcm:v1:key1:" but no provider of this resource in --encryption-provider-config has it',
    );
    expect(() => StorageTransformers.none().open(SECRET, enc)).toThrow(/"\/registry\/core\/secrets\/default\/s1".*"k8s:enc:aesgcm:v1:key1:".*not encrypted/);
  });
});

describe('resources', () => {
  const encrypted = (resources: string[], key: string) => transformers([gcm(['k', K32])], resources).forKey(key).encrypts;

  it.each([
    [['secrets'], '/registry/core/secrets/ns/a', true],
    [['secrets'], '/registry/core/configmaps/ns/a', false],
    [['secrets'], '/registry/apps/secrets/ns/a', false],
    [['deployments.apps'], '/registry/apps/deployments/ns/a', true],
    [['*.apps'], '/registry/apps/statefulsets/ns/a', true],
    [['*.apps'], '/registry/core/pods/ns/a', false],
    [['*.'], '/registry/core/configmaps/ns/a', true],
    [['*.*'], '/registry/rbac.authorization.k8s.io/roles/ns/a', true],
    [['clusterroles.rbac.authorization.k8s.io'], '/registry/rbac.authorization.k8s.io/clusterroles/admin', true],
  ])('%j encrypts %s: %s', (resources, key, want) => {
    expect(encrypted(resources, key)).toBe(want);
  });

  it('prefers the resource entry to its group wildcard, and that to *.*', () => {
    const t = StorageTransformers.fromConfig({
      ...config([]),
      resources: [
        { resources: ['*.*'], providers: [gcm(['all', K32])] },
        { resources: ['*.'], providers: [gcm(['core', K32])] },
        { resources: ['secrets'], providers: [{ identity: {} }] },
      ],
    });
    expect(t.seal(SECRET, 'x')).toBe('x');
    expect((t.seal('/registry/core/configmaps/ns/a', 'x') as Buffer).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:core:/);
    expect((t.seal('/registry/apps/deployments/ns/a', 'x') as Buffer).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:all:/);
  });
});

describe('configuration', () => {
  it.each([
    ['an unknown provider', [{ rot13: {} }], 'resources[0].providers[0]: Unsupported value: "rot13": supported values: "aescbc", "aesgcm", "identity", "kms", "secretbox"'],
    ['a wrong key length', [gcm(['k', Buffer.alloc(8).toString('base64')])], 'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]'],
    ['bad base64', [cbc(['k', 'not base64!'])], 'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded'],
    ['a key without a name', [{ aesgcm: { keys: [{ secret: K32 }] } }], 'resources[0].providers[0].aesgcm.keys[0].name: Required value: name is a mandatory field for a key'],
    ['a key without a secret', [{ aesgcm: { keys: [{ name: 'k' }] } }], 'resources[0].providers[0].aesgcm.keys[0].secret: Required value: secret is a mandatory field for a key'],
    ['no keys', [{ aescbc: {} }], 'resources[0].providers[0].aescbc.keys: Required value: at least one key is required'],
    ['two names for one key', [gcm(['k', K32], ['k', K32b])], 'resources[0].providers[0].aesgcm.keys[1].name: Duplicate value: "k"'],
    ['two providers in one element', [{ identity: {}, aesgcm: {} }], 'resources[0].providers[0]: Invalid value: ["identity","aesgcm"]: more than one provider specified in a single element'],
    ['secretbox (no XSalsa20 in node:crypto)', [{ secretbox: { keys: [{ name: 'k', secret: K32 }] } }], 'resources[0].providers[0].secretbox: Forbidden: not supported by skiff: node:crypto has no XSalsa20-Poly1305'],
    ['a secretbox key of the wrong length', [{ secretbox: { keys: [{ name: 'k', secret: K16 }] } }], 'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]'],
    ['kms', [{ kms: { name: 'x' } }], 'resources[0].providers[0].kms: Forbidden: not supported by skiff'],
    ['no providers', [], 'resources[0].providers: Required value: at least one provider is required'],
  ])('rejects %s naming the field', (_name, providers, message) => {
    expect(() => StorageTransformers.fromConfig(config(providers))).toThrow(EncryptionConfigError);
    expect(() => StorageTransformers.fromConfig(config(providers))).toThrow(message);
  });

  it('rejects a wrong kind, a wrong version and bad resource names', () => {
    expect(() => StorageTransformers.fromConfig({ ...config([{ identity: {} }]), kind: 'Config' })).toThrow('kind: Unsupported value: "Config"');
    expect(() => StorageTransformers.fromConfig({ ...config([{ identity: {} }]), apiVersion: 'v1' })).toThrow('apiVersion: Unsupported value: "v1"');
    expect(() => StorageTransformers.fromConfig(config([{ identity: {} }], ['Secrets']))).toThrow('resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters');
    expect(() => StorageTransformers.fromConfig(config([{ identity: {} }], ['*']))).toThrow("use '*.' to encrypt all the resources from core API group");
    expect(() => StorageTransformers.fromConfig(config([{ identity: {} }], ['secrets', 'secrets']))).toThrow('resources[0].resources[1]: Duplicate value: "secrets"');
    expect(() => StorageTransformers.fromConfig('nope')).toThrow('EncryptionConfiguration: Invalid value: must be an object');
  });

  it('reads YAML and JSON files, and names the file of a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-enc-'));
    try {
      const yaml = join(dir, 'enc.yaml');
      writeFileSync(yaml, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: ${K32}\n  - identity: {}\n`);
      expect(StorageTransformers.fromFile(yaml).forKey(SECRET).encrypts).toBe(true);
      const json = join(dir, 'enc.json');
      writeFileSync(json, JSON.stringify(config([{ identity: {} }, gcm(['key1', K32])])));
      expect(StorageTransformers.fromFile(json).forKey(SECRET).encrypts).toBe(false);
      writeFileSync(json, JSON.stringify(config([gcm(['key1', 'AAAA'])])));
      expect(() => StorageTransformers.fromFile(json)).toThrow(`--encryption-provider-config ${json}: resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED"`);
      expect(() => StorageTransformers.fromFile(join(dir, 'missing.yaml'))).toThrow(/--encryption-provider-config .*missing.yaml: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LevelStorage with encryption', () => {
  const log = pino({ level: 'silent' });
  const secret = (name: string, value: string) => ({ put: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, data: { v: value } } });
  const encryption = transformers([gcm(['key1', K32])]);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-level-enc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Every value on disk, raw, by LevelDB key. */
  async function raw(): Promise<Map<string, Buffer>> {
    const db = new Level<string, Buffer>(dir, { valueEncoding: 'buffer' });
    const out = new Map<string, Buffer>();
    for await (const [k, v] of db.iterator()) out.set(k, v);
    await db.close();
    return out;
  }

  it('seals the object entry and the watch-log entry, and loads them decoded', async () => {
    let s = await LevelStorage.open({ dir, log, encryption });
    await s.txn(SECRET, () => secret('s1', 'c2VjcmV0LW9uZQ=='));
    await s.txn(SECRET, () => secret('s1', 'c2VjcmV0LXR3bw=='));
    await s.txn('/registry/core/configmaps/default/c1', () => ({ put: { metadata: { name: 'c1' }, data: { v: 'plain-config' } } }));
    await s.close();
    const disk = await raw();
    expect(disk.get(`o:${SECRET}`)!.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
    const all = Buffer.concat([...disk.values()]);
    expect(all.includes('c2VjcmV0LW9uZQ==')).toBe(false);
    expect(all.includes('c2VjcmV0LXR3bw==')).toBe(false);
    expect(all.includes('plain-config')).toBe(true);

    s = await LevelStorage.open({ dir, log, encryption });
    expect(s.get(SECRET)!.obj.data).toEqual({ v: 'c2VjcmV0LXR3bw==' });
    const events: unknown[] = [];
    s.watch('/registry/core/secrets/', 0, (e) => events.push([e.type, e.obj.data, e.prev?.data])).stop();
    expect(events).toEqual([
      ['ADDED', { v: 'c2VjcmV0LW9uZQ==' }, undefined],
      ['MODIFIED', { v: 'c2VjcmV0LXR3bw==' }, { v: 'c2VjcmV0LW9uZQ==' }],
    ]);
    await s.close();
  });

  it('refuses to load a value it cannot decrypt, naming the key', async () => {
    const s = await LevelStorage.open({ dir, log, encryption });
    await s.txn(SECRET, () => secret('s1', 'eA=='));
    await s.close();
    await expect(LevelStorage.open({ dir, log })).rejects.toThrow(`unable to transform key "${SECRET}"`);
    await expect(LevelStorage.open({ dir, log, encryption: transformers([gcm(['key1', K32b])]) })).rejects.toThrow(/authentication failed/);
  });

  it('rewrites a stale state on an update that changes nothing, so replace re-encrypts', async () => {
    let s = await LevelStorage.open({ dir, log });
    await s.txn(SECRET, () => secret('s1', 'b2xk'));
    await s.close();
    s = await LevelStorage.open({ dir, log, encryption });
    const rewritten = await s.txn(SECRET, () => ({ none: true }));
    expect(rewritten!.rev).toBe(2);
    expect((await s.txn(SECRET, () => ({ none: true })))!.rev).toBe(2);
    await s.close();
    expect((await raw()).get(`o:${SECRET}`)!.subarray(0, 8).toString()).toBe('k8s:enc:');
  });
});
