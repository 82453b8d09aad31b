// Kubeconfig files, as client-go's loader reads them: the current context's cluster (server,
// CA) and user (client certificate and key, or a bearer token), inline (`*-data`, base64) or
// as paths relative to the file. Every component takes `--kubeconfig`; `--server` alone is the
// plain loopback port. Also writes them, as `skiff up` does for the admin and each component.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { FlagSpec } from './flags.js';

/** Where the apiserver is and how to prove who we are to it. */
export interface Connection {
  server: string;
  /** PEM bundle verifying the apiserver's certificate (absent: the system's roots). */
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: Named<{ cluster?: string; user?: string }>[];
  clusters?: Named<{ server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean }>[];
  users?: Named<{ 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string; token?: string; tokenFile?: string }>[];
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** The flags a component takes to find the apiserver. */
export function connectionFlags(defaultServer = 'http://127.0.0.1:8080'): FlagSpec[] {
  return [
    { name: 'kubeconfig', help: 'Kubeconfig naming the apiserver and this component\'s credentials (its current context); overrides --server', default: '' },
    { name: 'server', help: 'URL of the apiserver without credentials (the plain loopback port), when there is no --kubeconfig', default: defaultServer },
  ];
}

/** The connection `--kubeconfig` (else `--server`) describes. Throws KubeconfigError. */
export function connectionFromFlags(f: Record<string, unknown>): Connection {
  const path = f.kubeconfig ? String(f.kubeconfig) : '';
  if (path) return loadKubeconfig(path);
  return { server: String(f.server ?? 'http://127.0.0.1:8080') };
}

export function loadKubeconfig(path: string): Connection {
  let cfg: Kubeconfig;
  try {
    cfg = parseYaml(readFileSync(path, 'utf8')) as Kubeconfig;
  } catch (err) {
    throw new KubeconfigError(`reading kubeconfig ${path}: ${(err as Error).message}`);
  }
  const contextName = cfg?.['current-context'];
  const context = cfg?.contexts?.find((c) => c.name === contextName) ?? (contextName ? undefined : cfg?.contexts?.[0]);
  if (!context) throw new KubeconfigError(`kubeconfig ${path}: no context ${JSON.stringify(contextName ?? '')}`);
  const cluster = cfg.clusters?.find((c) => c.name === context.context?.cluster)?.cluster;
  const server = cluster?.server;
  if (!server) throw new KubeconfigError(`kubeconfig ${path}: cluster ${JSON.stringify(context.context?.cluster ?? '')} of context ${JSON.stringify(context.name)} has no server`);
  const user = cfg.users?.find((u) => u.name === context.context?.user)?.user ?? {};
  const base = dirname(path);
  const read = (what: string, data: string | undefined, file: string | undefined): string | undefined => {
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    if (!file) return undefined;
    const p = isAbsolute(file) ? file : join(base, file);
    try {
      return readFileSync(p, 'utf8');
    } catch (err) {
      throw new KubeconfigError(`kubeconfig ${path}: ${what} ${p}: ${(err as Error).message}`);
    }
  };
  const conn: Connection = { server };
  const ca = read('certificate-authority', cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = read('client-certificate', user['client-certificate-data'], user['client-certificate']);
  const key = read('client-key', user['client-key-data'], user['client-key']);
  const token = user.token ?? read('tokenFile', undefined, user.tokenFile)?.trim();
  if (ca) conn.ca = ca;
  if (cert) conn.cert = cert;
  if (key) conn.key = key;
  if (token) conn.token = token;
  if (cluster['insecure-skip-tls-verify']) conn.insecureSkipTLSVerify = true;
  if (Boolean(cert) !== Boolean(key)) throw new KubeconfigError(`kubeconfig ${path}: user ${JSON.stringify(context.context?.user ?? '')} has a client certificate without its key or a key without its certificate`);
  return conn;
}

/** A kubeconfig with one cluster, user and context, the PEMs inline (as kubeadm writes them). */
export function renderKubeconfig(c: Connection, user = 'admin', cluster = 'skiff'): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const clusterEntry: Record<string, unknown> = { server: c.server };
  if (c.ca) clusterEntry['certificate-authority-data'] = b64(c.ca);
  const userEntry: Record<string, unknown> = {};
  if (c.cert) userEntry['client-certificate-data'] = b64(c.cert);
  if (c.key) userEntry['client-key-data'] = b64(c.key);
  if (c.token) userEntry.token = c.token;
  const context = `${user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: clusterEntry }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: context, context: { cluster, user } }],
    'current-context': context,
  });
}

/** connectionFromFlags for a component's main: a bad kubeconfig ends the process with its reason. */
export function connectionOrExit(f: Record<string, unknown>, component: string): Connection {
  try {
    return connectionFromFlags(f);
  } catch (err) {
    console.error(`${component}: --kubeconfig: ${(err as Error).message}`);
    process.exit(2);
  }
}
