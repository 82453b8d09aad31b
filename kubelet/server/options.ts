// The kubelet's flags for serving its API (upstream's names and defaults of the kubelet
// binary: anonymous auth on, AlwaysAllow; kubeadm turns on --anonymous-auth=false,
// --authentication-token-webhook, --authorization-mode Webhook and --client-ca-file), and
// the KubeletServing they describe.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import type { FlagSpec } from '../../shared/flags.js';
import { KubeletAuthenticator, tokenReviewer } from './authn.js';
import { alwaysAllow, webhookAuthorizer, type KubeletAuthorizer } from './authz.js';
import type { KubeletServing } from './server.js';
import { ensureServingCert } from './serving-cert.js';

export const SERVING_FLAGS: FlagSpec[] = [
  { name: 'tls-cert-file', help: 'PEM serving certificate (chain) of the kubelet API; empty: <cert-dir>/kubelet.crt, self-signed on first start', default: '' },
  { name: 'tls-private-key-file', help: 'PEM private key of --tls-cert-file', default: '' },
  { name: 'cert-dir', help: 'Directory of the self-signed serving certificate when there is no --tls-cert-file; empty: <root-dir>/pki', default: '' },
  { name: 'client-ca-file', help: 'PEM CA bundle verifying client certificates of the kubelet API\'s callers (CN: user, O: groups); empty: no certificate authentication', default: '' },
  { name: 'anonymous-auth', help: 'Serve requests without credentials as system:anonymous (then authorized as any other); false: 401', default: true, type: 'boolean' },
  { name: 'authentication-token-webhook', help: 'Authenticate bearer tokens with TokenReviews through the apiserver', default: false, type: 'boolean' },
  { name: 'authentication-token-webhook-cache-ttl', help: 'Seconds a TokenReview\'s answer is reused', default: 120 },
  { name: 'authorization-mode', help: 'AlwaysAllow, or Webhook: a SubjectAccessReview through the apiserver for nodes/<subresource> of this node', default: 'AlwaysAllow' },
  { name: 'authorization-webhook-cache-authorized-ttl', help: 'Seconds an allowing SubjectAccessReview is reused', default: 300 },
  { name: 'authorization-webhook-cache-unauthorized-ttl', help: 'Seconds a denying SubjectAccessReview is reused', default: 30 },
];

export class ServingFlagError extends Error {
  override readonly name = 'ServingFlagError';
}

export interface ServingContext {
  client: Pick<Client, 'create'>;
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  log: Logger;
}

/** The serving certificate, client CA and auth the flags describe; throws ServingFlagError (or ServingCertError). */
export function servingFromFlags(f: Record<string, string | number | boolean>, ctx: ServingContext): KubeletServing {
  const str = (k: string) => String(f[k] ?? '');
  const seconds = (k: string) => {
    const n = Number(f[k]);
    if (!Number.isFinite(n) || n < 0) throw new ServingFlagError(`--${k} needs a number of seconds >= 0, got ${String(f[k])}`);
    return n * 1000;
  };
  let certFile = str('tls-cert-file');
  let keyFile = str('tls-private-key-file');
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ServingFlagError('--tls-cert-file and --tls-private-key-file go together');
  if (!certFile) {
    const pair = ensureServingCert(str('cert-dir') || join(ctx.rootDir, 'pki'), ctx.nodeName, [ctx.nodeIP]);
    if (pair.generated) ctx.log.info({ cert: pair.cert }, 'generated a self-signed serving certificate for the kubelet API');
    ({ cert: certFile, key: keyFile } = pair);
  }
  const mode = str('authorization-mode');
  let authorizer: KubeletAuthorizer;
  if (mode === 'AlwaysAllow') authorizer = alwaysAllow;
  else if (mode === 'Webhook') {
    authorizer = webhookAuthorizer(ctx.client, {
      authorizedTTLMs: seconds('authorization-webhook-cache-authorized-ttl'),
      unauthorizedTTLMs: seconds('authorization-webhook-cache-unauthorized-ttl'),
    });
  } else throw new ServingFlagError(`--authorization-mode ${JSON.stringify(mode)}: supported values: "AlwaysAllow", "Webhook"`);
  const clientCAFile = str('client-ca-file');
  const authenticator = new KubeletAuthenticator({
    clientCertificates: clientCAFile !== '',
    tokenReviewer: f['authentication-token-webhook'] ? tokenReviewer(ctx.client) : undefined,
    tokenCacheTTLMs: seconds('authentication-token-webhook-cache-ttl'),
    anonymous: Boolean(f['anonymous-auth']),
  });
  return {
    cert: read('--tls-cert-file', certFile),
    key: read('--tls-private-key-file', keyFile),
    ...(clientCAFile ? { clientCA: read('--client-ca-file', clientCAFile) } : {}),
    auth: { authenticator, authorizer, nodeName: ctx.nodeName },
  };
}

function read(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ServingFlagError(`${flag} ${file}: ${(err as Error).message}`);
  }
}
