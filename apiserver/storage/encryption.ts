// Encryption at rest, as kube-apiserver's --encryption-provider-config: an
// EncryptionConfiguration names resources and an ordered list of providers for them. The
// first provider encrypts every new write; reads pick the provider by the stored prefix
// `k8s:enc:<provider>:v1:<key name>:`. A value without that prefix is plaintext (written
// before encryption was enabled, or by `identity`). The AES-GCM and AES-CBC formats are
// upstream's byte for byte: nonce (12 bytes) || ciphertext || tag, with the storage key as
// additional authenticated data; IV (16 bytes) || PKCS#7-padded ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

/** An unusable --encryption-provider-config: the apiserver refuses to start. */
export class EncryptionConfigError extends Error {
  override name = 'EncryptionConfigError';
}

/** A stored value that no configured provider can read: storage refuses to load. */
export class TransformError extends Error {
  override name = 'TransformError';
  constructor(
    readonly key: string,
    why: string,
  ) {
    super(`unable to transform key "${key}": ${why}`);
  }
}

export const ENCRYPTED_PREFIX = 'k8s:enc:';
const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const PROVIDERS = ['aescbc', 'aesgcm', 'identity', 'kms', 'secretbox'];
const AES_KEY_LENGTHS = [16, 24, 32];

export type RandomSource = (size: number) => Buffer;

/** One key of one provider: its prefix and cipher (identity: empty prefix, no cipher). */
interface Provider {
  prefix: Buffer;
  seal(plain: Buffer, aad: Buffer): Buffer;
  open(sealed: Buffer, aad: Buffer): Buffer;
}

const identity: Provider = { prefix: Buffer.alloc(0), seal: (b) => b, open: (b) => b };

function aesgcm(name: string, key: Buffer, random: RandomSource): Provider {
  const alg = `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
  return {
    prefix: Buffer.from(`${ENCRYPTED_PREFIX}aesgcm:v1:${name}:`),
    seal(plain, aad) {
      const nonce = random(12);
      const c = createCipheriv(alg, key, nonce);
      c.setAAD(aad);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(sealed, aad) {
      if (sealed.length < 12 + 16) throw new Error('the stored data was shorter than the required size');
      const d = createDecipheriv(alg, key, sealed.subarray(0, 12));
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      try {
        return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
      } catch (err) {
        throw new Error(`cipher: message authentication failed (wrong key, or the value belongs to another key): ${(err as Error).message}`);
      }
    },
  };
}

function aescbc(name: string, key: Buffer, random: RandomSource): Provider {
  const alg = `aes-${key.length * 8}-cbc` as 'aes-256-cbc';
  return {
    prefix: Buffer.from(`${ENCRYPTED_PREFIX}aescbc:v1:${name}:`),
    seal(plain) {
      const iv = random(16);
      const c = createCipheriv(alg, key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open(sealed) {
      if (sealed.length < 32 || sealed.length % 16 !== 0) throw new Error('the stored data is not a whole number of AES blocks after the IV');
      const d = createDecipheriv(alg, key, sealed.subarray(0, 16));
      try {
        return Buffer.concat([d.update(sealed.subarray(16)), d.final()]);
      } catch (err) {
        throw new Error(`invalid PKCS7 padding (wrong key?): ${(err as Error).message}`);
      }
    },
  };
}

/** The providers of one resource, in configuration order. */
export class ResourceTransformer {
  constructor(
    private readonly providers: Provider[],
    private readonly configured: boolean,
  ) {}

  /** Whether writes are encrypted (the first provider is not identity). */
  get encrypts(): boolean {
    return this.providers[0]!.prefix.length > 0;
  }

  toStorage(plain: Buffer, aad: Buffer): Buffer {
    const p = this.providers[0]!;
    return p.prefix.length ? Buffer.concat([p.prefix, p.seal(plain, aad)]) : plain;
  }

  /** `stale` when the value was not written by the first provider, so a write would store it differently. */
  fromStorage(key: string, data: Buffer, aad: Buffer): { plain: Buffer; stale: boolean } {
    if (!startsWith(data, ENCRYPTED_PREFIX)) return { plain: data, stale: this.encrypts };
    const i = this.providers.findIndex((p) => p.prefix.length > 0 && data.subarray(0, p.prefix.length).equals(p.prefix));
    if (i < 0) {
      const where = this.configured ? 'no provider of this resource in --encryption-provider-config has it' : 'this resource is not encrypted in --encryption-provider-config (or the flag is unset)';
      throw new TransformError(key, `the value is encrypted with ${JSON.stringify(storedPrefix(data))} but ${where}`);
    }
    const p = this.providers[i]!;
    try {
      return { plain: p.open(data.subarray(p.prefix.length), aad), stale: i !== 0 };
    } catch (err) {
      throw new TransformError(key, `${p.prefix.toString()} ${(err as Error).message}`);
    }
  }
}

const plaintext = new ResourceTransformer([identity], false);

/** Transformers by storage key (`/registry/{group}/{resource}/...`). */
export class StorageTransformers {
  private constructor(private readonly byResource: Map<string, ResourceTransformer>) {}

  /** No configuration: everything plaintext, and encrypted data is an error. */
  static none(): StorageTransformers {
    return new StorageTransformers(new Map());
  }

  static fromFile(file: string, random: RandomSource = randomBytes): StorageTransformers {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new EncryptionConfigError(`--encryption-provider-config ${file}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      // No pretty errors: their code frame would print key material into the log.
      doc = YAML.parse(text, { prettyErrors: false });
    } catch (err) {
      throw new EncryptionConfigError(`--encryption-provider-config ${file}: not YAML or JSON: ${(err as Error).message}`);
    }
    try {
      return StorageTransformers.fromConfig(doc, random);
    } catch (err) {
      if (err instanceof EncryptionConfigError) throw new EncryptionConfigError(`--encryption-provider-config ${file}: ${err.message}`);
      throw err;
    }
  }

  /** Validates an EncryptionConfiguration; every problem is reported with its field path. */
  static fromConfig(doc: unknown, random: RandomSource = randomBytes): StorageTransformers {
    const errs: string[] = [];
    const byResource = new Map<string, ResourceTransformer>();
    const c = isObj(doc) ? doc : {};
    if (!isObj(doc)) errs.push(`${KIND}: Invalid value: must be an object`);
    if (c.kind !== KIND) errs.push(`kind: Unsupported value: ${JSON.stringify(c.kind ?? '')}: supported values: "${KIND}"`);
    if (c.apiVersion !== API_VERSION) errs.push(`apiVersion: Unsupported value: ${JSON.stringify(c.apiVersion ?? '')}: supported values: "${API_VERSION}"`);
    const entries = Array.isArray(c.resources) ? c.resources : [];
    if (!entries.length) errs.push('resources: Required value: at least one resource configuration is required');
    entries.forEach((entry: unknown, i) => {
      const path = `resources[${i}]`;
      const e = isObj(entry) ? entry : {};
      const names = Array.isArray(e.resources) ? e.resources : [];
      const list = Array.isArray(e.providers) ? e.providers : [];
      if (!names.length) errs.push(`${path}.resources: Required value: at least one resource is required`);
      if (!list.length) errs.push(`${path}.providers: Required value: at least one provider is required`);
      const providers = list.flatMap((p: unknown, j) => parseProvider(p, `${path}.providers[${j}]`, errs, random));
      const transformer = new ResourceTransformer(providers, true);
      names.forEach((n: unknown, j) => {
        const id = parseResource(n, `${path}.resources[${j}]`, errs);
        if (id === undefined) return;
        if (byResource.has(id)) errs.push(`${path}.resources[${j}]: Duplicate value: ${JSON.stringify(n)}: the same resource cannot be specified multiple times`);
        else byResource.set(id, transformer);
      });
    });
    if (errs.length) throw new EncryptionConfigError(errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
    return new StorageTransformers(byResource);
  }

  /** As upstream: the resource's own entry, then its group's `*.group`, then `*.*`. */
  forKey(storageKey: string): ResourceTransformer {
    if (!this.byResource.size) return plaintext;
    const [, , g = '', resource = ''] = storageKey.split('/');
    const group = g === 'core' ? '' : g;
    return this.byResource.get(`${resource}.${group}`) ?? this.byResource.get(`*.${group}`) ?? this.byResource.get('*.*') ?? plaintext;
  }

  /** Bytes to store for `raw` under `key`: the string itself when the resource is not encrypted. */
  seal(key: string, raw: string, aad: string = key): string | Buffer {
    const t = this.forKey(key);
    return t.encrypts ? t.toStorage(Buffer.from(raw), Buffer.from(aad)) : raw;
  }

  /** The text of a stored value; throws TransformError naming the key when it cannot be read. */
  open(key: string, stored: Buffer, aad: string = key): { raw: string; stale: boolean } {
    const { plain, stale } = this.forKey(key).fromStorage(key, stored, Buffer.from(aad));
    return { raw: plain.toString('utf8'), stale };
  }
}

/** `secrets` → `secrets.`; `deployments.apps`, `*.apps`, `*.` (the core group), `*.*`. */
function parseResource(n: unknown, path: string, errs: string[]): string | undefined {
  if (typeof n !== 'string' || n === '') {
    errs.push(`${path}: Required value: resource name is required`);
    return undefined;
  }
  if (n !== n.toLowerCase()) errs.push(`${path}: Invalid value: ${JSON.stringify(n)}: resource name should not contain capital letters`);
  else if (n === '*') errs.push(`${path}: Invalid value: "*": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
  else return n.includes('.') ? n : `${n}.`;
  return undefined;
}

function parseProvider(p: unknown, path: string, errs: string[], random: RandomSource): Provider[] {
  const kinds = isObj(p) ? Object.keys(p) : [];
  if (kinds.length > 1) {
    errs.push(`${path}: Invalid value: ${JSON.stringify(kinds)}: more than one provider specified in a single element, should split into different list elements`);
    return [];
  }
  const kind = kinds[0];
  if (kind === undefined || !PROVIDERS.includes(kind)) {
    errs.push(`${path}: Unsupported value: ${JSON.stringify(kind ?? '')}: supported values: ${PROVIDERS.map((k) => `"${k}"`).join(', ')}`);
    return [];
  }
  const spec = (p as Record<string, unknown>)[kind];
  if (kind === 'identity') return [identity];
  if (kind === 'kms') {
    errs.push(`${path}.kms: Forbidden: not supported by skiff (no KMS plugin gRPC client); use aesgcm or aescbc`);
    return [];
  }
  const keys = keysOf(spec, `${path}.${kind}`, kind === 'secretbox' ? [32] : AES_KEY_LENGTHS, errs);
  if (kind === 'secretbox') {
    errs.push(`${path}.secretbox: Forbidden: not supported by skiff: node:crypto has no XSalsa20-Poly1305; use aesgcm or aescbc`);
    return [];
  }
  return keys.map(({ name, secret }) => (kind === 'aesgcm' ? aesgcm(name, secret, random) : aescbc(name, secret, random)));
}

function keysOf(spec: unknown, path: string, lengths: number[], errs: string[]): { name: string; secret: Buffer }[] {
  const list = isObj(spec) && Array.isArray(spec.keys) ? spec.keys : [];
  if (!list.length) errs.push(`${path}.keys: Required value: at least one key is required`);
  const out: { name: string; secret: Buffer }[] = [];
  const seen = new Set<string>();
  list.forEach((k: unknown, i) => {
    const kp = `${path}.keys[${i}]`;
    const key = isObj(k) ? k : {};
    const before = errs.length;
    if (typeof key.name !== 'string' || key.name === '') errs.push(`${kp}.name: Required value: name is a mandatory field for a key`);
    else if (seen.has(key.name)) errs.push(`${kp}.name: Duplicate value: ${JSON.stringify(key.name)}`);
    else seen.add(key.name);
    const secret = typeof key.secret === 'string' ? key.secret : '';
    if (secret === '') errs.push(`${kp}.secret: Required value: secret is a mandatory field for a key`);
    else if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secret) || secret.length % 4 !== 0) errs.push(`${kp}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
    else {
      const bytes = Buffer.from(secret, 'base64');
      if (!lengths.includes(bytes.length)) errs.push(`${kp}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of [${lengths.join(' ')}]`);
      else if (errs.length === before) out.push({ name: key.name as string, secret: bytes });
    }
  });
  return out;
}

function startsWith(data: Buffer, prefix: string): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).toString('latin1') === prefix;
}

/** `k8s:enc:aesgcm:v1:key1:` of a stored value, for messages. */
function storedPrefix(data: Buffer): string {
  const head = data.subarray(0, 256).toString('latin1');
  let end = ENCRYPTED_PREFIX.length;
  for (let colons = 0; colons < 3; colons++) {
    const next = head.indexOf(':', end);
    if (next < 0) return ENCRYPTED_PREFIX;
    end = next + 1;
  }
  return head.slice(0, end);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
