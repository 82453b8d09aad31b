// Wiring of the root CA certificate publisher (kube-controller-manager's
// root-ca-cert-publisher): namespace and ConfigMap informers feeding a queue of namespace
// names. A namespace added or updated while Active is synced, and so is the namespace of a
// kube-root-ca.crt that is updated or deleted, which is then put back.
//
// What it publishes is kube-controller-manager's --root-ca-file. skiff's apiserver still
// serves plain HTTP (until TLS lands) and its clients have no CA data to fall back on, as
// upstream does with the client's own CA, so without the flag ca.crt is published empty:
// pods get the file, with nothing in it to trust yet.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { reconcileRootCA, ROOT_CA_CONFIGMAP } from './reconcile.js';

export const CONTROLLER_NAME = 'root-ca-cert-publisher';

/**
 * The bundle of --root-ca-file ('' without one), checked as upstream's readCA: the file
 * must hold at least one PEM certificate, and every certificate must parse.
 */
export function readRootCA(file: string): string {
  if (!file) return '';
  const pem = readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new Error(`error parsing root-ca-file at ${file}: data does not contain any valid RSA or ECDSA certificates`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new Error(`error parsing root-ca-file at ${file}: ${(err as Error).message}`);
    }
  }
  return pem;
}

export function rootCACertPublisher(ctx: ControllerContext, rootCA: string): Controller {
  const log = ctx.log.child({ controller: CONTROLLER_NAME });
  const namespaces = ctx.informers.for<KubeObject>(R.namespaces);
  const configMaps = ctx.informers.for<KubeObject>(R.configmaps);
  const queue = new WorkQueue({ delay: (n) => Math.min(5 * 2 ** (n - 1), 30_000) });
  namespaces.addHandlers({
    onAdd: (ns) => queue.add(ns.metadata.name!),
    onUpdate: (_old, ns) => {
      if (ns.status?.phase === 'Active') queue.add(ns.metadata.name!);
    },
  });
  const ours = (cm: KubeObject) => cm.metadata.name === ROOT_CA_CONFIGMAP && !!cm.metadata.namespace;
  configMaps.addHandlers({
    onUpdate: (_old, cm) => {
      if (ours(cm)) queue.add(cm.metadata.namespace!);
    },
    onDelete: (cm) => {
      if (ours(cm)) queue.add(cm.metadata.namespace!);
    },
  });
  const deps = {
    client: ctx.client,
    rootCA,
    getNamespace: (name: string) => namespaces.get(name),
    getConfigMap: (key: string) => configMaps.get(key),
  };
  const onError = (key: string, err: unknown) => log.info({ key, err }, 'root CA sync failed; requeueing');
  return {
    name: CONTROLLER_NAME,
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileRootCA(key, deps), onError);
    },
    stop: () => queue.shutDown(),
  };
}
