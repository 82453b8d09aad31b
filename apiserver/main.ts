// `skiff apiserver`: parse flags, open storage, serve; stop cleanly on SIGTERM.
import { mkdirSync } from 'node:fs';
import { rootLogger } from '../shared/log.js';
import type { FlagSpec } from '../shared/flags.js';
import { ADMISSION_FLAGS, admissionOptionsFromFlags, type AdmissionOptions } from './admission/plugins.js';
import { parseCidr, parsePortRange } from './registry/allocator.js';
import { DEFAULT_ISSUER, serviceAccountTokenConfig, type ServiceAccountTokenConfig } from './registry/token-request.js';
import type { SecureServingOptions } from './secure-port.js';
import { startApiserver } from './server.js';

export const summary = 'Serves the Kubernetes API (REST + watch) backed by LevelDB.';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the LevelDB database', default: '/var/lib/skiff/apiserver' },
  { name: 'bind-address', help: 'Address to listen on', default: '127.0.0.1' },
  { name: 'port', help: 'Plain HTTP port (unauthenticated; keep it on loopback)', default: 8080 },
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
  { name: 'anonymous-auth', help: 'Serve requests without credentials as system:anonymous (then authorized as any other)', default: true, type: 'boolean' },
  { name: 'authorization-mode', help: 'Authorizers of the secure port, in order (AlwaysAllow, AlwaysDeny, Node, RBAC)', default: 'Node,RBAC' },
  ...ADMISSION_FLAGS,
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('apiserver', String(f.v));
  const dataDir = String(f['data-dir']);
  let serviceAccountTokens: ServiceAccountTokenConfig;
  let admission: AdmissionOptions;
  let secure: SecureServingOptions;
  try {
    admission = admissionOptionsFromFlags(f);
    parseCidr(String(f['service-cluster-ip-range']));
    parsePortRange(String(f['service-node-port-range']));
    mkdirSync(dataDir, { recursive: true });
    secure = secureOptionsFromFlags(f);
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
    port: Number(f.port),
    serviceClusterIPRange: String(f['service-cluster-ip-range']),
    serviceNodePortRange: String(f['service-node-port-range']),
    watchCacheSize: Number(f['watch-cache-size']),
    bookmarkIntervalMs: Number(f['bookmark-interval']),
    maxRequestBodyBytes: Number(f['max-request-bytes']),
    serviceAccountTokens,
    admission,
    secure,
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
    anonymousAuth: Boolean(f['anonymous-auth']),
    authorizationModes: list(f['authorization-mode']),
  };
  if (port !== 0 && (!opts.certFile || !opts.keyFile)) throw new Error('--secure-port needs --tls-cert-file and --tls-private-key-file');
  return opts;
}

const list = (v: string | number | boolean | undefined): string[] => String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
