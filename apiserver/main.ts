// `skiff apiserver`: parse flags, open storage, serve; stop cleanly on SIGTERM.
import { mkdirSync, readFileSync } from 'node:fs';
import { rootLogger } from '../shared/log.js';
import type { FlagSpec } from '../shared/flags.js';
import { ADMISSION_FLAGS, admissionOptionsFromFlags, type AdmissionOptions } from './admission/plugins.js';
import type { KubeletClientConfig } from './handlers/proxy.js';
import { parseCidr, parsePortRange } from './registry/allocator.js';
import { DEFAULT_ISSUER, serviceAccountTokenConfig, type ServiceAccountTokenConfig } from './registry/token-request.js';
import type { SecureServingOptions } from './secure-port.js';
import { startApiserver } from './server.js';
import { StorageTransformers } from './storage/encryption.js';
import { readAuthenticationConfig } from './auth/authentication-config.js';

export const summary = 'Serves the Kubernetes API (REST + watch) backed by LevelDB.';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the LevelDB database', default: '/var/lib/skiff/apiserver' },
  { name: 'bind-address', help: 'Address of the secure port (--secure-port)', default: '0.0.0.0' },
  { name: 'advertise-address', help: 'Address the `kubernetes` Service\'s endpoints carry (default: --bind-address, or 127.0.0.1 for 0.0.0.0)', default: '' },
  { name: 'port', help: 'Plain HTTP port, unauthenticated: everyone is system:masters (0 with --secure-port: none)', default: 8080 },
  { name: 'insecure-bind-address', help: 'Address of the plain port; keep it on loopback', default: '127.0.0.1' },
  { name: 'service-cluster-ip-range', help: 'CIDR from which ClusterIPs are allocated', default: '10.96.0.0/16' },
  { name: 'service-node-port-range', help: 'Port range reserved for NodePort services', default: '30000-32767' },
  { name: 'watch-cache-size', help: 'Events kept for watch resumption', default: 20000 },
  { name: 'bookmark-interval', help: 'Milliseconds between watch bookmarks when a client allows them', default: 1000 },
  { name: 'max-request-bytes', help: 'Largest request body accepted', default: 3 * 1024 * 1024 },
  { name: 'service-account-signing-key-file', help: 'PEM private key (RSA or ECDSA) signing ServiceAccount tokens; empty: <data-dir>/sa.key, generated on first start', default: '' },
  { name: 'service-account-key-file', help: 'PEM files (comma-separated) of keys verifying ServiceAccount tokens; empty: the signing key', default: '' },
  { name: 'service-account-issuer', help: 'Issuer of ServiceAccount tokens; comma-separated: the first issues, all are accepted', default: DEFAULT_ISSUER },
  { name: 'api-audiences', help: 'Audiences of the API (comma-separated); empty: the issuer', default: '' },
  { name: 'service-account-max-token-expiration', help: 'Longest token the TokenRequest API issues, in seconds (0: no limit)', default: 0 },
  { name: 'service-account-extend-token-expiration', help: 'Let the kubelet\'s pod-bound tokens outlive their hour, only warning after it', default: true, type: 'boolean' },
  { name: 'secure-port', help: 'HTTPS port serving the API with authentication and authorization (0: none)', default: 0 },
  { name: 'tls-cert-file', help: 'PEM certificate (chain) the secure port serves', default: '' },
  { name: 'tls-private-key-file', help: 'PEM private key of --tls-cert-file', default: '' },
  { name: 'client-ca-file', help: 'PEM CA bundle verifying client certificates (CN: user, O: groups); empty: no client certificate authentication', default: '' },
  { name: 'token-auth-file', help: 'CSV of static bearer tokens: token,user,uid,"group1,group2"', default: '' },
  { name: 'authentication-config', help: 'AuthenticationConfiguration file; its anonymous section (enabled, conditions: [{path}]) replaces --anonymous-auth: anonymous only on those paths, 401 elsewhere', default: '' },
  { name: 'anonymous-auth', help: 'Serve requests without credentials as system:anonymous (then authorized as any other)', default: true, type: 'boolean' },
  { name: 'encryption-provider-config', help: 'EncryptionConfiguration file (YAML or JSON) choosing how resources are encrypted at rest; empty: plaintext', default: '' },
  { name: 'authorization-mode', help: 'Authorizers of the secure port, in order (AlwaysAllow, AlwaysDeny, Node, RBAC)', default: 'Node,RBAC' },
  { name: 'kubelet-client-certificate', help: 'PEM client certificate the apiserver presents to kubelets (logs, exec, attach, port-forward)', default: '' },
  { name: 'kubelet-client-key', help: 'PEM private key of --kubelet-client-certificate', default: '' },
  { name: 'kubelet-certificate-authority', help: 'PEM CA bundle verifying the kubelets\' serving certificates; empty: not verified', default: '' },
  ...ADMISSION_FLAGS,
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('apiserver', String(f.v));
  const dataDir = String(f['data-dir']);
  let serviceAccountTokens: ServiceAccountTokenConfig;
  let admission: AdmissionOptions;
  let secure: SecureServingOptions;
  let encryption: StorageTransformers | undefined;
  let kubeletClient: KubeletClientConfig;
  try {
    admission = admissionOptionsFromFlags(f);
    parseCidr(String(f['service-cluster-ip-range']));
    parsePortRange(String(f['service-node-port-range']));
    mkdirSync(dataDir, { recursive: true });
    secure = secureOptionsFromFlags(f);
    kubeletClient = kubeletClientFromFlags(f);
    if (f['encryption-provider-config']) encryption = StorageTransformers.fromFile(String(f['encryption-provider-config']));
    serviceAccountTokens = serviceAccountTokenConfig(
      {
        signingKeyFile: String(f['service-account-signing-key-file']),
        keyFiles: list(f['service-account-key-file']),
        issuers: list(f['service-account-issuer']),
        apiAudiences: list(f['api-audiences']),
        maxTokenExpirationSeconds: Number(f['service-account-max-token-expiration']),
        extendTokenExpiration: Boolean(f['service-account-extend-token-expiration']),
      },
      dataDir,
    );
  } catch (err) {
    log.fatal({ err }, `invalid configuration: ${(err as Error).message}`);
    process.exit(2);
  }
  const server = await startApiserver({
    dataDir,
    bindAddress: String(f['bind-address']),
    insecureBindAddress: String(f['insecure-bind-address']),
    advertiseAddress: String(f['advertise-address']),
    port: Number(f.port),
    serviceClusterIPRange: String(f['service-cluster-ip-range']),
    serviceNodePortRange: String(f['service-node-port-range']),
    watchCacheSize: Number(f['watch-cache-size']),
    bookmarkIntervalMs: Number(f['bookmark-interval']),
    maxRequestBodyBytes: Number(f['max-request-bytes']),
    serviceAccountTokens,
    admission,
    secure,
    encryption,
    kubeletClient,
    log,
  });
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** The secure port's flags; a secure port needs a certificate and its key. */
function secureOptionsFromFlags(f: Record<string, string | number | boolean>): SecureServingOptions {
  const port = Number(f['secure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--secure-port ${f['secure-port']} must be between 0 and 65535`);
  const opts: SecureServingOptions = {
    port,
    certFile: String(f['tls-cert-file']),
    keyFile: String(f['tls-private-key-file']),
    clientCAFile: String(f['client-ca-file']),
    tokenAuthFile: String(f['token-auth-file']),
    anonymousAuth: f['authentication-config'] ? readAuthenticationConfig(String(f['authentication-config'])) : Boolean(f['anonymous-auth']),
    authorizationModes: list(f['authorization-mode']),
  };
  if (port !== 0 && (!opts.certFile || !opts.keyFile)) throw new Error('--secure-port needs --tls-cert-file and --tls-private-key-file');
  return opts;
}

/** The --kubelet-* flags: the files' contents (throws on a missing one or a half pair). */
function kubeletClientFromFlags(f: Record<string, string | number | boolean>): KubeletClientConfig {
  const cert = String(f['kubelet-client-certificate']);
  const key = String(f['kubelet-client-key']);
  const ca = String(f['kubelet-certificate-authority']);
  if (Boolean(cert) !== Boolean(key)) throw new Error('--kubelet-client-certificate and --kubelet-client-key go together');
  return {
    ...(cert ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
    ...(ca ? { ca: readFileSync(ca) } : {}),
  };
}

const list = (v: string | number | boolean | undefined): string[] => String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
