// Encryption at rest (--encryption-provider-config) on a real apiserver driven by the stock
// kubectl: secrets written before encryption stay readable, new ones reach disk only as
// AES-GCM ciphertext while an unencrypted configmap stays plaintext, identity-first still
// reads them, a missing key or a bad configuration stops the apiserver with a clear message,
// watches deliver decoded objects, and `kubectl replace` re-encrypts old secrets.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const KEY1 = randomBytes(32).toString('base64');
const KEY2 = randomBytes(32).toString('base64');
const OLD = `old-plain-${randomBytes(6).toString('hex')}`;
const NEW = `new-plain-${randomBytes(6).toString('hex')}`;
const THIRD = `third-plain-${randomBytes(6).toString('hex')}`;
const CM = `cm-plain-${randomBytes(6).toString('hex')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const providers = {
  aesgcm: (name: string, secret: string) => `  - aesgcm:\n      keys:\n      - name: ${name}\n        secret: ${secret}\n`,
  identity: '  - identity: {}\n',
};
const config = (...list: string[]) =>
  `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources:\n  - secrets\n  providers:\n${list.join('')}`;

interface WatchEvent {
  type: string;
  object: { metadata: { name: string; resourceVersion: string }; data?: Record<string, string> };
}

/** The first watch event matching `pred`, reading the stream for at most 10 s. */
async function watchUntil(url: string, pred: (e: WatchEvent) => boolean): Promise<WatchEvent> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    const res = await fetch(url, { signal: abort.signal });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body!) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as WatchEvent;
        buf = buf.slice(nl + 1);
        if (pred(e)) return e;
      }
    }
    throw new Error('watch ended without the event');
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe('encryption at rest', () => {
  let dir: string;
  let dataDir: string;
  let api: ApiserverProcess | undefined;
  let rvBeforeNew = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-encryption-'));
    dataDir = join(dir, 'data');
  });
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configFile = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const start = async (file?: string, extra: string[] = []) => {
    api = await startApiserver([...(file ? ['--encryption-provider-config', file] : []), ...extra], dataDir);
    return { api, kubectl: new Kubectl(api.url) };
  };
  const secretValue = async (kubectl: Kubectl, name: string) => Buffer.from(await kubectl.ok(['get', 'secret', name, '-o', 'jsonpath={.data.password}']), 'base64').toString();
  /** Every byte LevelDB has on disk (tables, write-ahead log), as one buffer to search. */
  const diskBytes = () => Buffer.concat(readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f))));
  /** The stored value of one object, raw, opened with `level` while the apiserver is stopped. */
  const stored = async (key: string) => {
    const db = new Level<string, Buffer>(dataDir, { valueEncoding: 'buffer' });
    try {
      return await db.get(`o:${key}`);
    } finally {
      await db.close();
    }
  };

  it('keeps a secret written before encryption readable and writes new ones only as ciphertext', async () => {
    let { kubectl } = await start();
    await kubectl.ok(['create', 'secret', 'generic', 'old', `--from-literal=password=${OLD}`]);
    await api!.stop();

    ({ kubectl } = await start(configFile('aesgcm.yaml', config(providers.aesgcm('key1', KEY1))), ['--v', 'debug']));
    expect(await secretValue(kubectl, 'old')).toBe(OLD);
    rvBeforeNew = JSON.parse(await kubectl.ok(['get', 'secrets', '-o', 'json'])).metadata.resourceVersion;
    const watched = watchUntil(`${api!.url}/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${rvBeforeNew}`, (e) => e.object.metadata.name === 'new');
    await kubectl.ok(['create', 'secret', 'generic', 'new', `--from-literal=password=${NEW}`]);
    await kubectl.ok(['create', 'configmap', 'plain', `--from-literal=value=${CM}`]);
    expect(await secretValue(kubectl, 'new')).toBe(NEW);
    // The watch cache holds decoded objects.
    const e = await watched;
    expect(e.type).toBe('ADDED');
    expect(e.object.data).toEqual({ password: b64(NEW) });
    // Not a log line carries the secret, even at debug.
    expect(api!.output()).not.toContain(b64(NEW));
    expect(api!.output()).not.toContain(NEW);
    await api!.stop();

    const disk = diskBytes();
    expect(disk.includes(NEW)).toBe(false);
    expect(disk.includes(b64(NEW))).toBe(false);
    expect(disk.includes(CM)).toBe(true);
    expect((await stored('/registry/core/secrets/default/new'))!.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
    // As upstream, a secret written before encryption stays plaintext until it is rewritten.
    expect((await stored('/registry/core/secrets/default/old'))!.toString()).toContain(b64(OLD));
    expect((await stored('/registry/core/configmaps/default/plain'))!.toString()).toContain(CM);
  });

  it('with identity first reads both secrets, resumes watches from the encrypted log, and writes plaintext', async () => {
    const { kubectl } = await start(configFile('identity-first.yaml', config(providers.identity, providers.aesgcm('key1', KEY1))));
    expect(await secretValue(kubectl, 'old')).toBe(OLD);
    expect(await secretValue(kubectl, 'new')).toBe(NEW);
    // Replayed from the watch log loaded from disk, where the event was sealed.
    const e = await watchUntil(`${api!.url}/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${rvBeforeNew}`, (ev) => ev.object.metadata.name === 'new');
    expect(e.type).toBe('ADDED');
    expect(e.object.data).toEqual({ password: b64(NEW) });
    await kubectl.ok(['create', 'secret', 'generic', 'third', `--from-literal=password=${THIRD}`]);
    await api!.stop();
    expect((await stored('/registry/core/secrets/default/third'))!.toString()).toContain(b64(THIRD));
  });

  it('refuses to start without the key, naming the encrypted key', async () => {
    await expect(start()).rejects.toThrow(/unable to transform key "\/registry\/core\/secrets\/default\/new": the value is encrypted with "k8s:enc:aesgcm:v1:key1:"/);
    await expect(start(configFile('other-key.yaml', config(providers.aesgcm('key2', KEY2))))).rejects.toThrow(
      /unable to transform key "\/registry\/core\/secrets\/default\/new": the value is encrypted with "k8s:enc:aesgcm:v1:key1:" but no provider of this resource/,
    );
    await expect(start(configFile('same-name.yaml', config(providers.aesgcm('key1', KEY2))))).rejects.toThrow(/unable to transform key "\/registry\/core\/secrets\/default\/new": k8s:enc:aesgcm:v1:key1: cipher: message authentication failed/);
  });

  it.each([
    ['a wrong key length', config(providers.aesgcm('key1', b64('short'))), 'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \\"REDACTED\\": secret is not of the expected length, got 5, expected one of [16 24 32]'],
    ['bad base64', config(providers.aesgcm('key1', 'not*base64')), 'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \\"REDACTED\\": secrets must be base64 encoded'],
    ['a key without a name', config(`  - aescbc:\n      keys:\n      - secret: ${KEY1}\n`), 'resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key'],
    ['an unknown provider', config('  - rot13: {}\n'), 'resources[0].providers[0]: Unsupported value: \\"rot13\\"'],
    ['secretbox', config(`  - secretbox:\n      keys:\n      - name: k\n        secret: ${KEY1}\n`), 'resources[0].providers[0].secretbox: Forbidden: not supported by skiff: node:crypto has no XSalsa20-Poly1305'],
  ])('refuses to start with %s, naming the field', async (name, text, message) => {
    const file = configFile(`bad-${name.replace(/ /g, '-')}.yaml`, text);
    const err = await start(file).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/apiserver exited with 2/);
    expect(err?.message).toContain(message);
    expect(err?.message).not.toContain(KEY1);
  });

  it('re-encrypts old secrets with the new first key on `kubectl replace` of unchanged objects, as upstream documents', async () => {
    const { kubectl } = await start(configFile('rotate.yaml', config(providers.aesgcm('key2', KEY2), providers.aesgcm('key1', KEY1))));
    for (const name of ['old', 'new', 'third']) {
      const secret = await kubectl.ok(['get', 'secret', name, '-o', 'json']);
      expect(await kubectl.ok(['replace', '-f', '-'], { stdin: secret })).toBe(`secret/${name} replaced\n`);
      expect(JSON.parse(await kubectl.ok(['get', 'secret', name, '-o', 'json'])).metadata.resourceVersion).not.toBe(JSON.parse(secret).metadata.resourceVersion);
    }
    expect(await secretValue(kubectl, 'old')).toBe(OLD);
    await api!.stop();
    for (const name of ['old', 'new', 'third']) {
      expect((await stored(`/registry/core/secrets/default/${name}`))!.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key2:');
    }
  });
});
