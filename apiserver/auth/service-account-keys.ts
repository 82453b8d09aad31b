// The keys of ServiceAccount tokens, as kube-apiserver reads them: the signing key
// (--service-account-signing-key-file, a PEM private key) and the verification keys
// (--service-account-key-file, PEM public keys, private keys or certificates, several per
// file). A token's `kid` is upstream's keyIDFromPublicKey: the unpadded base64url SHA-256
// of the key's PKIX (SPKI) DER encoding. Without a signing key file skiff keeps one in the
// data dir, generated on first start (RSA 2048, as kubeadm's sa.key) and reused afterwards.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_SIGNING_KEY_FILE = 'sa.key';

export interface SigningKey {
  key: KeyObject;
  /** The JWS algorithm for the key: RS256, ES256, ES384 or ES512. */
  alg: string;
  kid: string;
}

export interface VerificationKey {
  key: KeyObject;
  kid: string;
}

/** A key file that cannot be used: the apiserver refuses to start. */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/** upstream keyIDFromPublicKey. */
export function keyID(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

/** The JWS algorithm upstream's signer picks for a key (RSA: RS256; ECDSA by curve). */
export function algorithmFor(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
    throw new KeyFileError(`unsupported EC curve ${String(curve)}: ServiceAccount tokens are signed with P-256, P-384 or P-521`);
  }
  throw new KeyFileError(`unsupported key type ${String(key.asymmetricKeyType)}: ServiceAccount tokens are signed with RSA or ECDSA keys`);
}

function pemBlocks(text: string): { type: string; pem: string }[] {
  const out: { type: string; pem: string }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ type: m[1]!, pem: m[0] });
  return out;
}

/** The signing key from a PEM file holding one RSA or ECDSA private key. */
export function readSigningKey(file: string): SigningKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyFileError(`failed to read service account signing key file ${file}: ${(err as Error).message}`);
  }
  const block = pemBlocks(text).find((b) => b.type.endsWith('PRIVATE KEY'));
  if (!block) throw new KeyFileError(`failed to parse service account signing key file ${file}: no PEM private key found`);
  let key: KeyObject;
  try {
    key = createPrivateKey(block.pem);
  } catch (err) {
    throw new KeyFileError(`failed to parse service account signing key file ${file}: ${(err as Error).message}`);
  }
  return { key, alg: algorithmFor(key), kid: keyID(createPublicKey(key)) };
}

/** upstream keyutil.PublicKeysFromFile: every key block of the file; other PEM blocks are tolerated. */
export function readVerificationKeys(file: string): VerificationKey[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyFileError(`failed to read service account key file ${file}: ${(err as Error).message}`);
  }
  const keys: VerificationKey[] = [];
  for (const block of pemBlocks(text)) {
    let pub: KeyObject;
    try {
      pub = block.type === 'CERTIFICATE' ? new X509Certificate(block.pem).publicKey : createPublicKey(block.pem);
    } catch {
      continue; // as upstream: a block that is not a key is skipped
    }
    if (pub.asymmetricKeyType !== 'rsa' && pub.asymmetricKeyType !== 'ec') continue;
    keys.push({ key: pub, kid: keyID(pub) });
  }
  if (!keys.length) throw new KeyFileError(`failed to parse service account key file ${file}: data does not contain any valid RSA or ECDSA public keys`);
  return keys;
}

/**
 * The signing key at `file`, or, when no file was given, `<dataDir>/sa.key`, generated
 * with mode 0600 on first start and reused afterwards (so tokens outlive restarts).
 */
export function loadOrCreateSigningKey(file: string | undefined, dataDir: string): SigningKey {
  if (file) return readSigningKey(file);
  const path = join(dataDir, DEFAULT_SIGNING_KEY_FILE);
  if (existsSync(path)) return readSigningKey(path);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  let fd: number;
  try {
    // 'wx': created here or not at all, so two starts never overwrite each other's key.
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readSigningKey(path);
    throw new KeyFileError(`failed to create service account signing key file ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return readSigningKey(path);
}

/** The verification keys: those of --service-account-key-file, else the signing key's public half. */
export function loadVerificationKeys(files: string[], signing: SigningKey): VerificationKey[] {
  if (!files.length) {
    const pub = createPublicKey(signing.key);
    return [{ key: pub, kid: keyID(pub) }];
  }
  return files.flatMap(readVerificationKeys);
}
